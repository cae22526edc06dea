//! An ice plant as an edge node: the plant model's signals as node and device metrics, and
//! commands that move its setpoints.
//!
//! A signal `Device/Metric` of `plant_model::Plant::signals` becomes metric `Metric` of
//! device `Device` (`Compressor1`..`CompressorN`, `Evaporator`, `Condenser`, `BrineTank`,
//! `CanGrid`, `IceStore`, `Ammonia1`..`AmmoniaN`, `PowerMeter`); the `Plant/...` signals are
//! node metrics, except `Plant/BrineSetpoint`, which is the writable
//! `BrineTank/Setpoint/Temperature`. Writable: `BrineTank/Setpoint/Temperature` (Double, °C),
//! `BrineTank/AgitatorOn` (Boolean) and `CompressorN/Enabled` (Boolean).

use std::time::Duration;

use plant_model::{Plant, PlantConfig, SignalValue, limits};
use sparkplug_b::session::MetricSpec;
use sparkplug_b::{DataType, Metric, PropertySet, PropertyValue, Template, Value};

use crate::config::PlantNodeConfig;

/// The device of the node metrics' signals.
const NODE_PREFIX: &str = "Plant";

/// The template (UDT) of the compressors when the plant publishes templates.
pub(crate) const COMPRESSOR_TEMPLATE: &str = "Compressor";

/// The equipment a template instance stands for, with `templates = true`.
fn is_compressor(device: &str) -> bool {
    device
        .strip_prefix(COMPRESSOR_TEMPLATE)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Where one signal goes: node (`device: None`) or device index, and the metric name.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) device: Option<usize>,
    pub(crate) name: String,
}

/// The plant of one edge node, stepped on the simulated clock.
#[derive(Debug, Clone)]
pub(crate) struct PlantSource {
    pub(crate) plant: Plant,
    step_ms: u64,
    /// Simulated time the plant has been stepped to, ms.
    stepped_to: u64,
    pub(crate) period_ms: u64,
    pub(crate) next_due: u64,
    /// One target per signal, in signal order.
    pub(crate) targets: Vec<Target>,
    /// Whether the compressors are template instances (node metrics) rather than devices.
    templates: bool,
}

/// What the builder needs to declare the node: device names and the metric specs.
pub(crate) struct PlantLayout {
    pub(crate) devices: Vec<(String, Vec<MetricSpec>)>,
    pub(crate) node_metrics: Vec<MetricSpec>,
    /// Template definitions for the NBIRTH, declared before the metrics.
    pub(crate) templates: Vec<(String, Template)>,
}

/// What a command did to the plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    Done,
    NotWritable,
    BadValue,
}

impl PlantSource {
    pub(crate) fn new(
        config: &PlantNodeConfig,
        seed: u64,
        start_ms: u64,
        offset_ms: u64,
    ) -> (Self, PlantLayout) {
        let mut pc = PlantConfig {
            compressors: config.compressors,
            ammonia_detectors: config.ammonia_detectors,
            ..PlantConfig::default()
        };
        if let Some(sp) = config.brine_setpoint_c {
            pc.brine_setpoint_c = sp;
        }
        let plant = Plant::new(pc, seed);
        let mut devices: Vec<(String, Vec<MetricSpec>)> = Vec::new();
        let mut node_metrics = Vec::new();
        let mut targets = Vec::new();
        for signal in plant.signals() {
            let (device, metric) = split(&signal.name);
            let value = match signal.value {
                SignalValue::F64(v) => Value::Double(v),
                SignalValue::Bool(b) => Value::Boolean(b),
                SignalValue::U64(u) => Value::UInt64(u),
                _ => Value::Double(0.0),
            };
            let mut spec = MetricSpec::with_initial(metric.clone(), value);
            let mut props = PropertySet::new();
            if !signal.unit.is_empty() {
                props.insert("engUnit", PropertyValue::new(signal.unit));
            }
            if is_writable(device.as_deref(), &metric) {
                props.insert("writable", PropertyValue::new(true));
            }
            if let Some(range) = setpoint_range(device.as_deref(), &metric) {
                props.insert("engLow", PropertyValue::new(range.min));
                props.insert("engHigh", PropertyValue::new(range.max));
            }
            if !props.is_empty() {
                spec = spec.with_properties(props);
            }
            if let (Some(d), DataType::Double) = (config.deadband, spec.datatype) {
                spec = spec.with_deadband(d);
            }
            let index = match device {
                None => {
                    node_metrics.push(spec);
                    None
                }
                Some(d) => Some(match devices.iter().position(|(n, _)| *n == d) {
                    Some(i) => {
                        devices[i].1.push(spec);
                        i
                    }
                    None => {
                        devices.push((d, vec![spec]));
                        devices.len() - 1
                    }
                }),
            };
            targets.push(Target {
                device: index,
                name: metric,
            });
        }
        let mut templates = Vec::new();
        if config.templates {
            templates = as_instances(&mut devices, &mut node_metrics, &mut targets, config);
        }
        let source = PlantSource {
            plant,
            step_ms: config.step_ms,
            stepped_to: start_ms,
            period_ms: config.period_ms,
            next_due: start_ms + offset_ms % config.period_ms + config.period_ms,
            targets,
            templates: config.templates,
        };
        (
            source,
            PlantLayout {
                devices,
                node_metrics,
                templates,
            },
        )
    }

    /// Steps the plant up to `now_ms` of simulated time.
    pub(crate) fn step_to(&mut self, now_ms: u64) {
        while self.stepped_to + self.step_ms <= now_ms {
            self.plant.step(Duration::from_millis(self.step_ms));
            self.stepped_to += self.step_ms;
        }
    }

    /// The signal values now, one per target.
    pub(crate) fn values(&self) -> impl Iterator<Item = Value> + use<> {
        self.plant.signals().map(|s| match s.value {
            SignalValue::F64(v) => Value::Double(v),
            SignalValue::Bool(b) => Value::Boolean(b),
            SignalValue::U64(u) => Value::UInt64(u),
            _ => Value::Double(0.0),
        })
    }

    /// Applies a command to `device`'s metric `name` (with templates, a compressor's member
    /// arrives as node metric `CompressorN/Member`).
    pub(crate) fn command(&mut self, device: Option<&str>, name: &str, value: &Value) -> Applied {
        let (device, name) = match (device, name.split_once('/')) {
            (None, Some((d, member))) if self.templates && is_compressor(d) => (Some(d), member),
            _ => (device, name),
        };
        match (device, name, value) {
            (Some("BrineTank"), "Setpoint/Temperature", v) => match v.as_f64() {
                Some(c) if limits::BRINE_SETPOINT_C.contains(c) => {
                    self.plant.set_brine_setpoint(c);
                    Applied::Done
                }
                _ => Applied::BadValue,
            },
            (Some("BrineTank"), "AgitatorOn", Value::Boolean(on)) => {
                self.plant.set_agitator(*on);
                Applied::Done
            }
            (Some(d), "Enabled", Value::Boolean(on)) if d.starts_with("Compressor") => {
                let index = d["Compressor".len()..].parse::<usize>().ok();
                match index.and_then(|i| i.checked_sub(1)) {
                    Some(i) if self.plant.set_compressor_enabled(i, *on).is_ok() => Applied::Done,
                    _ => Applied::NotWritable,
                }
            }
            (d, n, _) if is_writable(d, n) => Applied::BadValue,
            _ => Applied::NotWritable,
        }
    }
}

/// The range a writable setpoint accepts, published as its `engLow`/`engHigh`.
fn setpoint_range(device: Option<&str>, metric: &str) -> Option<limits::SetpointRange> {
    (device == Some("BrineTank") && metric == "Setpoint/Temperature")
        .then_some(limits::BRINE_SETPOINT_C)
}

fn is_writable(device: Option<&str>, metric: &str) -> bool {
    match device {
        Some("BrineTank") => metric == "Setpoint/Temperature" || metric == "AgitatorOn",
        Some(d) => d.starts_with("Compressor") && metric == "Enabled",
        None => false,
    }
}

/// Turns the compressor devices into node metrics `CompressorN` of datatype Template, each an
/// instance of the `Compressor` definition whose members are the device's metrics (with their
/// properties; the plant's deadband on each Double member), and points their signals at the
/// members by path. Returns the definition.
fn as_instances(
    devices: &mut Vec<(String, Vec<MetricSpec>)>,
    node_metrics: &mut Vec<MetricSpec>,
    targets: &mut [Target],
    config: &PlantNodeConfig,
) -> Vec<(String, Template)> {
    let member = |spec: &MetricSpec, value: Option<Value>| Metric {
        properties: spec.properties.clone(),
        ..match value {
            Some(v) => Metric::new(spec.name.clone(), v),
            None => Metric::null(spec.name.clone(), spec.datatype),
        }
    };
    let mut definition = None;
    let mut instances = Vec::new();
    let mut kept = Vec::new();
    for (index, (name, specs)) in core::mem::take(devices).into_iter().enumerate() {
        if !is_compressor(&name) {
            for t in targets.iter_mut().filter(|t| t.device == Some(index)) {
                t.device = Some(kept.len());
            }
            kept.push((name, specs));
            continue;
        }
        for t in targets.iter_mut().filter(|t| t.device == Some(index)) {
            t.device = None;
            t.name = format!("{name}/{}", t.name);
        }
        if definition.is_none() {
            let members = specs
                .iter()
                .map(|s| member(s, Some(zero_of(s.datatype))))
                .collect();
            definition = Some(Template::definition(members).with_version("1"));
        }
        let members = specs.iter().map(|s| member(s, s.initial.clone())).collect();
        let mut spec = MetricSpec::with_initial(
            name.clone(),
            Template::instance(COMPRESSOR_TEMPLATE, members),
        );
        if let Some(d) = config.deadband {
            for s in specs.iter().filter(|s| s.datatype == DataType::Double) {
                spec = spec.with_member_deadband(s.name.clone(), d);
            }
        }
        instances.push(spec);
    }
    *devices = kept;
    node_metrics.extend(instances);
    definition
        .map(|d| vec![(COMPRESSOR_TEMPLATE.to_owned(), d)])
        .unwrap_or_default()
}

/// The default of a member in the definition: zero, false.
fn zero_of(datatype: DataType) -> Value {
    match datatype {
        DataType::Boolean => Value::Boolean(false),
        DataType::UInt64 => Value::UInt64(0),
        _ => Value::Double(0.0),
    }
}

/// `Device/Metric` → (device, metric); `Plant/...` → node metric.
fn split(signal: &str) -> (Option<String>, String) {
    if signal == "Plant/BrineSetpoint" {
        return (
            Some("BrineTank".to_owned()),
            "Setpoint/Temperature".to_owned(),
        );
    }
    match signal.split_once('/') {
        Some((NODE_PREFIX, m)) => (None, m.to_owned()),
        Some((d, m)) => (Some(d.to_owned()), m.to_owned()),
        None => (None, signal.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PlantNodeConfig {
        "[[plant]]\ngroup = \"IcePlant\"\nnode = \"Plant1\"\n"
            .parse::<crate::config::ScenarioConfig>()
            .unwrap()
            .plants
            .remove(0)
    }

    #[test]
    fn layout_names_devices_after_equipment() {
        let (source, layout) = PlantSource::new(&config(), 1, 0, 0);
        let names: Vec<&str> = layout.devices.iter().map(|(n, _)| n.as_str()).collect();
        for d in [
            "Compressor1",
            "Compressor3",
            "Condenser",
            "BrineTank",
            "CanGrid",
            "IceStore",
            "Ammonia1",
            "PowerMeter",
        ] {
            assert!(names.contains(&d), "{d} missing from {names:?}");
        }
        let brine = &layout
            .devices
            .iter()
            .find(|(n, _)| n == "BrineTank")
            .unwrap()
            .1;
        assert!(brine.iter().any(|m| m.name == "Setpoint/Temperature"));
        assert!(
            layout
                .node_metrics
                .iter()
                .any(|m| m.name == "AmbientTemperature")
        );
        assert_eq!(source.targets.len(), source.values().count());
    }

    #[test]
    fn commands_move_setpoints() {
        let (mut s, _) = PlantSource::new(&config(), 1, 0, 0);
        let done = s.command(
            Some("BrineTank"),
            "Setpoint/Temperature",
            &Value::Double(-14.0),
        );
        assert_eq!(done, Applied::Done);
        assert_eq!(s.plant.config().brine_setpoint_c, -14.0);
        assert_eq!(
            s.command(Some("Compressor2"), "Enabled", &Value::Boolean(false)),
            Applied::Done
        );
        assert!(!s.plant.compressors()[1].enabled);
        assert_eq!(
            s.command(Some("BrineTank"), "AgitatorOn", &Value::Boolean(false)),
            Applied::Done
        );
        assert_eq!(
            s.command(Some("Compressor9"), "Enabled", &Value::Boolean(false)),
            Applied::NotWritable
        );
        assert_eq!(
            s.command(Some("BrineTank"), "Temperature", &Value::Double(1.0)),
            Applied::NotWritable
        );
        assert_eq!(
            s.command(
                Some("BrineTank"),
                "Setpoint/Temperature",
                &Value::Double(50.0)
            ),
            Applied::BadValue
        );
        s.step_to(10_000);
        assert_eq!(s.plant.elapsed(), Duration::from_secs(10));
    }
}
