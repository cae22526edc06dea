//! The same configuration and seed give the same messages, byte for byte.

use std::time::Duration;

use sparkplug_b::session::Timestamp;
use sparkplug_sim::{Action, Loopback};

use crate::support::{MIXED, T0, scenario};

const WITH_FAULTS: &str = r#"
[random_faults]
per_node_per_hour = 120.0
"#;

fn run(seed: u64) -> Vec<(u64, String, Vec<u8>)> {
    let text = format!("{MIXED}{WITH_FAULTS}");
    let mut lb = Loopback::new(scenario(&text, seed));
    lb.run_for(Duration::from_secs(300));
    lb.published()
        .iter()
        .map(|(t, p)| (t.as_millis(), p.topic.clone(), p.payload.clone()))
        .collect()
}

#[test]
fn same_seed_same_messages_with_random_faults() {
    let a = run(7);
    let b = run(7);
    assert!(a.len() > 500, "only {} messages", a.len());
    assert_eq!(a, b);
    let c = run(8);
    assert_ne!(a, c, "another seed gives other values and faults");
}

/// The core alone (no host, no broker): the actions are a function of the inputs.
#[test]
fn the_core_is_deterministic_without_a_host() {
    let collect = || {
        let mut s = scenario(MIXED, 3);
        let mut out = Vec::new();
        for step in 0..200u64 {
            let now = Timestamp::from_millis(T0 + step * 100);
            s.advance(now);
            while let Some(a) = s.poll_action() {
                if let Action::Connect { node, .. } = a {
                    s.handle_connected(node, now);
                }
                out.push(format!("{a:?}"));
            }
        }
        out
    };
    let a = collect();
    assert!(a.iter().any(|x| x.contains("DDATA")));
    assert_eq!(a, collect());
}
