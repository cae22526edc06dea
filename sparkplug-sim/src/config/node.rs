//! `[[plant]]` and `[[node]]`: the edge nodes of a scenario.

use serde::Deserialize;
use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId, HostId, IdError};

use super::error::ConfigError;
use super::generator::GeneratorConfig;

/// What every edge node entry has: ids, count, session options, broker override.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NodeOptions {
    /// The Sparkplug group id.
    pub group: String,
    /// The edge node id; with `count` > 1 it must contain `{n}`, replaced by 1..=count.
    pub node: String,
    /// How many nodes this entry makes. Default 1.
    pub count: u32,
    /// Whether metrics get aliases. Default true.
    pub aliases: bool,
    /// The Primary Host to wait for before births. Default none.
    pub primary_host: Option<String>,
    /// The least time between two rebirths on request, ms. Default 1000.
    pub rebirth_debounce_ms: u64,
    /// Store-and-forward capacity in metric values, 0 for none. Default 10 000.
    pub store_forward_capacity: usize,
    /// Broker settings for these nodes instead of `[simulation]`'s.
    pub mqtt: Option<MqttOverride>,
}

impl NodeOptions {
    /// The node id of the `n`th node (from 1) of this entry.
    pub fn node_id(&self, n: u32) -> String {
        self.node.replace("{n}", &n.to_string())
    }

    pub(crate) fn check(&self, at: &str) -> Result<(), ConfigError> {
        if self.count == 0 {
            return Err(ConfigError::invalid(at, "count must be at least 1"));
        }
        if self.count > 1 && !self.node.contains("{n}") {
            return Err(ConfigError::invalid(
                at,
                format!(
                    "node = {:?} with count = {}: the id needs {{n}} to tell the nodes apart",
                    self.node, self.count
                ),
            ));
        }
        // The ids go on the wire: refuse here, with the entry's place, what the id newtypes
        // would refuse when the scenario is built (control characters, `+`, `/`, `#`, ...).
        let invalid = |e: IdError| ConfigError::invalid(at, e.to_string());
        GroupId::new(self.group.as_str()).map_err(invalid)?;
        // The first and the last node of the entry: the longest `{n}` is the last one.
        for n in [1, self.count] {
            EdgeNodeId::new(self.node_id(n)).map_err(invalid)?;
        }
        if let Some(host) = &self.primary_host {
            HostId::new(host.as_str()).map_err(invalid)?;
        }
        Ok(())
    }
}

/// `mqtt = { url = ..., username = ..., password = ..., ca_file = ... }` on a node entry.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MqttOverride {
    /// Broker URL (`mqtt://`, `mqtts://`, `mqtt5://`, `mqtts5://`).
    pub url: Option<String>,
    /// User name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// PEM file of CA certificates for TLS.
    pub ca_file: Option<String>,
}

/// `[[plant]]`: ice plants, one edge node each with its equipment as devices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawPlant")]
#[non_exhaustive]
pub struct PlantNodeConfig {
    /// Ids, count and session options.
    pub options: NodeOptions,
    /// Ammonia compressors per plant. Default 3.
    pub compressors: usize,
    /// Ammonia detectors per plant. Default 2.
    pub ammonia_detectors: usize,
    /// Initial brine setpoint, °C. Default the plant model's (−11).
    pub brine_setpoint_c: Option<f64>,
    /// How often the plant's metrics are sampled and reported, ms. Default 1000.
    pub period_ms: u64,
    /// The plant model's integration step, ms. Default 1000.
    pub step_ms: u64,
    /// Report-by-exception deadband on every Double metric. Default none (every change).
    pub deadband: Option<f64>,
    /// Publish the compressors as instances `Compressor1`..`CompressorN` (node metrics) of a
    /// `Compressor` template (UDT) defined in the NBIRTH, instead of as devices. The members
    /// are the device's metrics, addressed by path (`Compressor1/Suction Pressure`).
    /// Default false.
    pub templates: bool,
}

impl PlantNodeConfig {
    pub(crate) fn check(&self, at: &str) -> Result<(), ConfigError> {
        if self.period_ms == 0 || self.step_ms == 0 {
            return Err(ConfigError::invalid(
                at,
                "period_ms and step_ms must be > 0",
            ));
        }
        if self.compressors == 0 || self.compressors > 16 {
            return Err(ConfigError::invalid(at, "compressors must be 1..=16"));
        }
        if self.deadband.is_some_and(|d| !d.is_finite() || d < 0.0) {
            return Err(ConfigError::invalid(at, "deadband must be finite and >= 0"));
        }
        Ok(())
    }
}

/// `[[node]]`: generic edge nodes whose metrics come from generators.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawGeneric")]
#[non_exhaustive]
pub struct GenericNodeConfig {
    /// Ids, count and session options.
    pub options: NodeOptions,
    /// Device ids; `{d}` is replaced by 1..=devices when `devices` is given instead.
    pub device_names: Vec<String>,
    /// Metrics of each device (`[[node.metric]]`).
    pub metrics: Vec<MetricConfig>,
    /// Metrics of the node itself (`[[node.node_metric]]`).
    pub node_metrics: Vec<MetricConfig>,
}

impl GenericNodeConfig {
    pub(crate) fn check(&self, at: &str) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for d in &self.device_names {
            DeviceId::new(d.as_str()).map_err(|e| ConfigError::invalid(at, e.to_string()))?;
            if !seen.insert(d) {
                return Err(ConfigError::invalid(
                    at,
                    format!("device {d:?} appears twice"),
                ));
            }
        }
        for (i, m) in self.metrics.iter().enumerate() {
            m.check(&format!("{at}.metric[{i}]"))?;
        }
        for (i, m) in self.node_metrics.iter().enumerate() {
            m.check(&format!("{at}.node_metric[{i}]"))?;
        }
        Ok(())
    }
}

/// `[[node.metric]]`: one metric, or `count` metrics named from a `{i}` template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MetricConfig {
    /// The name, `/` separating folders; with `count` > 1 it must contain `{i}`.
    pub name: String,
    /// How many metrics this entry makes. Default 1.
    #[serde(default = "one")]
    pub count: u32,
    /// The Sparkplug datatype by its spec name (`Double`, `Int32`, `StringArray`, ...).
    /// Default `Double`.
    #[serde(default = "double")]
    pub datatype: String,
    /// Where values come from. Default a constant 0.
    #[serde(default)]
    pub generator: GeneratorConfig,
    /// How often a value is sampled, ms. Default 1000.
    #[serde(default = "second")]
    pub period_ms: u64,
    /// Report-by-exception deadband (numeric datatypes). Default none: every change.
    pub deadband: Option<f64>,
    /// Engineering unit, published as the `engUnit` property.
    pub units: Option<String>,
    /// Lowest engineering value, published as the `engLow` property.
    pub eng_low: Option<f64>,
    /// Highest engineering value, published as the `engHigh` property.
    pub eng_high: Option<f64>,
    /// Description, published as the `description` property.
    pub description: Option<String>,
    /// Elements per value for array datatypes. Default 4.
    #[serde(default = "four")]
    pub array_len: usize,
    /// Whether a command (NCMD/DCMD) may write it: the simulator then reports the written
    /// value and the generator starts from it. Default false.
    #[serde(default)]
    pub writable: bool,
}

impl MetricConfig {
    /// The names this entry makes.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        (1..=self.count).map(move |i| {
            if self.count == 1 && !self.name.contains("{i}") {
                self.name.clone()
            } else {
                self.name.replace("{i}", &i.to_string())
            }
        })
    }

    fn check(&self, at: &str) -> Result<(), ConfigError> {
        if self.count == 0 {
            return Err(ConfigError::invalid(at, "count must be at least 1"));
        }
        if self.count > 1 && !self.name.contains("{i}") {
            return Err(ConfigError::invalid(
                at,
                format!("name = {:?} with count > 1 needs {{i}}", self.name),
            ));
        }
        if self.period_ms == 0 {
            return Err(ConfigError::invalid(at, "period_ms must be > 0"));
        }
        crate::values::parse_datatype(&self.datatype)
            .map_err(|problem| ConfigError::invalid(at, problem))?;
        if self.deadband.is_some_and(|d| !d.is_finite() || d < 0.0) {
            return Err(ConfigError::invalid(at, "deadband must be finite and >= 0"));
        }
        self.generator.check(at)
    }
}

fn one() -> u32 {
    1
}
fn double() -> String {
    "Double".to_owned()
}
fn second() -> u64 {
    1000
}
fn four() -> usize {
    4
}
fn yes() -> bool {
    true
}
fn debounce() -> u64 {
    1000
}
fn sf_capacity() -> usize {
    10_000
}
fn three() -> usize {
    3
}
fn two() -> usize {
    2
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlant {
    group: String,
    node: String,
    #[serde(default = "one")]
    count: u32,
    #[serde(default = "yes")]
    aliases: bool,
    primary_host: Option<String>,
    #[serde(default = "debounce")]
    rebirth_debounce_ms: u64,
    #[serde(default = "sf_capacity")]
    store_forward_capacity: usize,
    mqtt: Option<MqttOverride>,
    #[serde(default = "three")]
    compressors: usize,
    #[serde(default = "two")]
    ammonia_detectors: usize,
    brine_setpoint_c: Option<f64>,
    #[serde(default = "second")]
    period_ms: u64,
    #[serde(default = "second")]
    step_ms: u64,
    deadband: Option<f64>,
    #[serde(default)]
    templates: bool,
}

impl From<RawPlant> for PlantNodeConfig {
    fn from(r: RawPlant) -> Self {
        PlantNodeConfig {
            options: NodeOptions {
                group: r.group,
                node: r.node,
                count: r.count,
                aliases: r.aliases,
                primary_host: r.primary_host,
                rebirth_debounce_ms: r.rebirth_debounce_ms,
                store_forward_capacity: r.store_forward_capacity,
                mqtt: r.mqtt,
            },
            compressors: r.compressors,
            ammonia_detectors: r.ammonia_detectors,
            brine_setpoint_c: r.brine_setpoint_c,
            period_ms: r.period_ms,
            step_ms: r.step_ms,
            deadband: r.deadband,
            templates: r.templates,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeneric {
    group: String,
    node: String,
    #[serde(default = "one")]
    count: u32,
    #[serde(default = "yes")]
    aliases: bool,
    primary_host: Option<String>,
    #[serde(default = "debounce")]
    rebirth_debounce_ms: u64,
    #[serde(default = "sf_capacity")]
    store_forward_capacity: usize,
    mqtt: Option<MqttOverride>,
    /// Either a number of devices named `device_prefix{d}` or a list of names.
    #[serde(default)]
    devices: Devices,
    #[serde(default = "device_prefix")]
    device_prefix: String,
    #[serde(default, rename = "metric")]
    metrics: Vec<MetricConfig>,
    #[serde(default, rename = "node_metric")]
    node_metrics: Vec<MetricConfig>,
}

fn device_prefix() -> String {
    "Device".to_owned()
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Devices {
    #[default]
    None,
    Count(u32),
    Names(Vec<String>),
}

impl From<RawGeneric> for GenericNodeConfig {
    fn from(r: RawGeneric) -> Self {
        let device_names = match r.devices {
            Devices::None => Vec::new(),
            Devices::Count(n) => (1..=n).map(|d| format!("{}{d}", r.device_prefix)).collect(),
            Devices::Names(names) => names,
        };
        GenericNodeConfig {
            options: NodeOptions {
                group: r.group,
                node: r.node,
                count: r.count,
                aliases: r.aliases,
                primary_host: r.primary_host,
                rebirth_debounce_ms: r.rebirth_debounce_ms,
                store_forward_capacity: r.store_forward_capacity,
                mqtt: r.mqtt,
            },
            device_names,
            metrics: r.metrics,
            node_metrics: r.node_metrics,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::ScenarioConfig;

    #[test]
    fn devices_by_count_or_by_name_and_metric_templates() {
        let c: ScenarioConfig = r#"
            [[node]]
            group = "G"
            node = "N{n}"
            count = 3
            devices = 2
            device_prefix = "Pump"
            [[node.metric]]
            name = "Temp{i}"
            count = 3
            [[node]]
            group = "G"
            node = "M"
            devices = ["Left", "Right"]
        "#
        .parse()
        .unwrap();
        let n = &c.nodes[0];
        assert_eq!(n.device_names, ["Pump1", "Pump2"]);
        assert_eq!(n.options.node_id(3), "N3");
        let names: Vec<_> = n.metrics[0].names().collect();
        assert_eq!(names, ["Temp1", "Temp2", "Temp3"]);
        assert_eq!(n.metrics[0].datatype, "Double");
        assert_eq!(c.nodes[1].device_names, ["Left", "Right"]);
        assert_eq!(c.node_count(), 4);
    }

    #[test]
    fn bad_metrics_are_reported() {
        let bad = |metric: &str| {
            let text = format!(
                "[[node]]\ngroup = \"G\"\nnode = \"N\"\n[[node.metric]]\nname = \"m\"\n{metric}\n"
            );
            text.parse::<ScenarioConfig>().unwrap_err().to_string()
        };
        assert!(bad("datatype = \"Dubble\"").contains("Dubble"));
        assert!(bad("period_ms = 0").contains("period_ms"));
        assert!(bad("deadband = -1.0").contains("deadband"));
        assert!(bad("count = 2").contains("{i}"));
        assert!(bad("datatype = \"PropertySet\"").contains("PropertySet"));
    }
}
