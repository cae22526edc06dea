//! The scenario file: what to simulate, in TOML.
//!
//! A scenario lists ice plants (`[[plant]]`), generic edge nodes whose metrics come from
//! generators (`[[node]]`), scheduled faults (`[[fault]]`) and random faults
//! (`[random_faults]`). Every table rejects unknown keys, so a typo is an error with its line
//! and column, not a silently ignored setting. `sparkplug-sim/examples/scenario.toml` is a
//! documented example; `docs/SIMULATOR.md` describes every key.
//!
//! ```
//! use sparkplug_sim::config::ScenarioConfig;
//!
//! let config: ScenarioConfig = r#"
//!     [[plant]]
//!     group = "IcePlant"
//!     node = "Plant{n}"
//!     count = 2
//!
//!     [[node]]
//!     group = "Factory"
//!     node = "Line1"
//!     devices = 2
//!     [[node.metric]]
//!     name = "Temperature"
//!     datatype = "Double"
//!     generator = { kind = "sine", amplitude = 5.0, offset = 20.0, period_s = 60.0 }
//! "#.parse()?;
//! assert_eq!(config.plants[0].options.count, 2);
//! # Ok::<(), sparkplug_sim::config::ConfigError>(())
//! ```

mod error;
mod fault;
mod generator;
mod node;

pub use error::ConfigError;
pub use fault::{FaultConfig, FaultKind, RandomFaultsConfig};
pub use generator::GeneratorConfig;
pub use node::{GenericNodeConfig, MetricConfig, MqttOverride, NodeOptions, PlantNodeConfig};

use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;

/// A whole scenario, as read from TOML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ScenarioConfig {
    /// Settings for the whole run.
    #[serde(default)]
    pub simulation: SimulationConfig,
    /// Ice plants: one edge node each, its equipment as devices.
    #[serde(default, rename = "plant")]
    pub plants: Vec<PlantNodeConfig>,
    /// Generic edge nodes whose metrics come from generators.
    #[serde(default, rename = "node")]
    pub nodes: Vec<GenericNodeConfig>,
    /// Faults at given times.
    #[serde(default, rename = "fault")]
    pub faults: Vec<FaultConfig>,
    /// Faults at random times, drawn from the seed.
    #[serde(default)]
    pub random_faults: Option<RandomFaultsConfig>,
}

/// `[simulation]`: settings for the whole run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct SimulationConfig {
    /// The simulated clock's start, ms since the Unix epoch. Unset: the wall clock when the
    /// run starts (the library's deterministic runs pass their own).
    pub start_time_ms: Option<u64>,
    /// How long a node waits before reconnecting after its connection dropped, ms of
    /// simulated time. Default 1000.
    pub reconnect_delay_ms: u64,
    /// The broker for nodes that name none: `mqtt://`, `mqtts://`, `mqtt5://`, `mqtts5://`.
    /// The command line's `--mqtt-url` overrides it. Default `mqtt://127.0.0.1:1883`.
    pub mqtt_url: Option<String>,
    /// User name for nodes that name none.
    pub username: Option<String>,
    /// Password for nodes that name none.
    pub password: Option<String>,
    /// A PEM file of CA certificates to trust for TLS, for nodes that name none.
    pub ca_file: Option<String>,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        SimulationConfig {
            start_time_ms: None,
            reconnect_delay_ms: 1000,
            mqtt_url: None,
            username: None,
            password: None,
            ca_file: None,
        }
    }
}

impl ScenarioConfig {
    /// Reads and parses a scenario file. Relative `replay` CSV paths are resolved against
    /// the file's directory.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut config: ScenarioConfig = text.parse()?;
        if let Some(dir) = path.parent() {
            config.resolve_paths(dir);
        }
        Ok(config)
    }

    /// How many edge nodes the scenario describes.
    pub fn node_count(&self) -> usize {
        let plants: usize = self.plants.iter().map(|p| p.options.count as usize).sum();
        let nodes: usize = self.nodes.iter().map(|n| n.options.count as usize).sum();
        plants + nodes
    }

    fn resolve_paths(&mut self, dir: &Path) {
        for node in &mut self.nodes {
            for metric in node.metrics.iter_mut().chain(node.node_metrics.iter_mut()) {
                if let GeneratorConfig::Replay { file, .. } = &mut metric.generator {
                    let p = Path::new(file.as_str());
                    if p.is_relative() {
                        *file = dir.join(p).display().to_string();
                    }
                }
            }
        }
    }
}

impl FromStr for ScenarioConfig {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, ConfigError> {
        let config: ScenarioConfig = toml::from_str(text).map_err(ConfigError::Parse)?;
        config.check()?;
        Ok(config)
    }
}

impl ScenarioConfig {
    /// The checks serde cannot make: templates, counts, periods, datatypes.
    fn check(&self) -> Result<(), ConfigError> {
        for (i, p) in self.plants.iter().enumerate() {
            p.options.check(&format!("plant[{i}]"))?;
            p.check(&format!("plant[{i}]"))?;
        }
        for (i, n) in self.nodes.iter().enumerate() {
            n.options.check(&format!("node[{i}]"))?;
            n.check(&format!("node[{i}]"))?;
        }
        for (i, f) in self.faults.iter().enumerate() {
            f.check(&format!("fault[{i}]"))?;
        }
        if let Some(r) = &self.random_faults {
            r.check("random_faults")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_an_empty_scenario() {
        let c: ScenarioConfig = "".parse().unwrap();
        assert_eq!(c.node_count(), 0);
        assert_eq!(c.simulation.reconnect_delay_ms, 1000);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_location() {
        let e = "[[plant]]\ngroup = \"G\"\nnode = \"P\"\ncompresors = 3\n"
            .parse::<ScenarioConfig>()
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("compresors") && text.contains("line 4"),
            "{text}"
        );
    }

    #[test]
    fn bad_values_name_where_they_are() {
        let e = "[[node]]\ngroup = \"G\"\nnode = \"N{n}\"\ncount = 0\n"
            .parse::<ScenarioConfig>()
            .unwrap_err();
        assert!(e.to_string().starts_with("node[0]"), "{e}");
        let e = "[[node]]\ngroup = \"G\"\nnode = \"N\"\ncount = 2\n"
            .parse::<ScenarioConfig>()
            .unwrap_err();
        assert!(e.to_string().contains("{n}"), "{e}");
    }

    // tck-id-intro-group-id-chars, tck-id-intro-edge-node-id-chars, tck-id-intro-device-id-chars,
    // tck-id-topic-structure-namespace-valid-group-id: ids that cannot go on the wire are
    // refused when the file is read, naming the entry.
    #[test]
    fn ids_that_cannot_go_on_the_wire_are_refused() {
        for (text, at, rule) in [
            (
                "[[plant]]\ngroup = \"a\\u0001b\"\nnode = \"P\"\n",
                "plant[0]",
                "tck-id-intro-group-id-chars",
            ),
            (
                "[[plant]]\ngroup = \"G\"\nnode = \"P{n}\\u007f\"\ncount = 2\n",
                "plant[0]",
                "tck-id-intro-edge-node-id-chars",
            ),
            (
                "[[node]]\ngroup = \"G/H\"\nnode = \"N\"\n",
                "node[0]",
                "tck-id-topic-structure-namespace-valid-group-id",
            ),
            (
                "[[node]]\ngroup = \"G\"\nnode = \"N\"\ndevices = [\"ok\", \"d\\uFFFE\"]\n",
                "node[0]",
                "tck-id-intro-device-id-chars",
            ),
            (
                "[[node]]\ngroup = \"G\"\nnode = \"N\"\nprimary_host = \"h#\"\n",
                "node[0]",
                "tck-id-host-topic-phid-birth-topic",
            ),
        ] {
            let e = text.parse::<ScenarioConfig>().unwrap_err();
            let message = e.to_string();
            assert!(matches!(e, ConfigError::Invalid { .. }), "{message}");
            assert!(
                message.starts_with(at) && message.contains(rule),
                "{text:?}: {message}"
            );
        }
    }

    #[test]
    fn missing_file() {
        let e = ScenarioConfig::from_file("/nonexistent/scenario.toml").unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }));
    }
}
