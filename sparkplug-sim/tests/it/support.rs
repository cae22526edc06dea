//! Scenarios and helpers shared by the tests.

use std::time::Duration;

use sparkplug_b::session::Timestamp;
use sparkplug_b::session::host::{HostConfig, HostEvent};
use sparkplug_b::topic::HostId;
use sparkplug_sim::config::ScenarioConfig;
use sparkplug_sim::{Loopback, Scenario};

/// The simulated start of every test scenario.
pub(crate) const T0: u64 = 1_700_000_000_000;

/// A scenario from TOML text.
pub(crate) fn scenario(text: &str, seed: u64) -> Scenario {
    let config: ScenarioConfig = text.parse().expect("test scenario parses");
    Scenario::from_config(&config, seed, Timestamp::from_millis(T0)).expect("test scenario builds")
}

/// One plant and one generic node with two devices.
pub(crate) const MIXED: &str = r#"
[[plant]]
group = "IcePlant"
node = "Plant1"

[[node]]
group = "Factory"
node = "Line1"
devices = 2
[[node.metric]]
name = "Temp{i}"
count = 3
generator = { kind = "random_walk", start = 20.0, step = 0.5 }
period_ms = 500
[[node.metric]]
name = "Speed"
writable = true
generator = { kind = "sine", amplitude = 10.0, offset = 100.0, period_s = 30.0, noise = 1.0 }
[[node.node_metric]]
name = "Uptime"
datatype = "Int64"
generator = { kind = "counter" }
"#;

/// A loopback whose host asks for rebirths without a rate limit worth waiting for and
/// reorders with a 1 s timeout.
pub(crate) fn loopback(s: Scenario) -> Loopback {
    let config = HostConfig::new(HostId::new("TestHost").unwrap())
        .with_rebirth_min_interval(Duration::from_millis(1))
        .with_reorder_timeout(Duration::from_secs(1));
    Loopback::with_host(s, config)
}

/// The events of a kind, by a matcher.
pub(crate) fn count(events: &[(Timestamp, HostEvent)], f: impl Fn(&HostEvent) -> bool) -> usize {
    events.iter().filter(|(_, e)| f(e)).count()
}
