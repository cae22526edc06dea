//! From a [`ScenarioConfig`] and a seed to a [`Scenario`].

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sparkplug_b::session::{
    EdgeNode, EdgeNodeConfig, MetricSpec, Timestamp,
    edge::{AddDeviceError, DefineTemplateError, MetricSpecError},
};
use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId, HostId, IdError};
use sparkplug_b::{DataType, PropertySet, PropertyValue};

use crate::config::{GeneratorConfig, MetricConfig, NodeOptions, ScenarioConfig};
use crate::csv::{self, CsvError};
use crate::generator::Generator;
use crate::generic::{GenericSource, Slot};
use crate::node::{SimNode, Source};
use crate::plant::PlantSource;
use crate::rng::Rng;
use crate::scenario::{RandomFaults, Scenario, Scheduled};
use crate::values;

/// Why a scenario could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A group, node, device or host id breaks the Sparkplug id rules.
    #[error("{at}: {source}")]
    Id {
        /// Where.
        at: String,
        /// The rule broken.
        source: IdError,
    },
    /// Two entries make the same group and node id.
    #[error("{at}: edge node {group}/{node} is defined twice")]
    DuplicateNode {
        /// Where the second one is.
        at: String,
        /// Group id.
        group: String,
        /// Node id.
        node: String,
    },
    /// A metric definition was refused by the edge node (a duplicate name, a reserved name).
    #[error("{at}: {source}")]
    Metric {
        /// Where.
        at: String,
        /// Why.
        source: MetricSpecError,
    },
    /// A template definition was refused by the edge node.
    #[error("{at}: {source}")]
    Template {
        /// Where.
        at: String,
        /// Why.
        source: DefineTemplateError,
    },
    /// A device was refused (a duplicate id, or one of its metrics).
    #[error("{at}: {source}")]
    Device {
        /// Where.
        at: String,
        /// Why.
        source: AddDeviceError,
    },
    /// A replay CSV file could not be used.
    #[error("{at}: {source}")]
    Csv {
        /// Where.
        at: String,
        /// Why.
        source: CsvError,
    },
    /// A fault names a node the scenario does not have.
    #[error("fault[{index}]: no edge node {node:?}")]
    UnknownFaultNode {
        /// The fault's index.
        index: usize,
        /// The node id it names.
        node: String,
    },
    /// A value the configuration check lets through but building refuses.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

impl Scenario {
    /// Builds every node of `config`. The same configuration, `seed` and `start` give the
    /// same scenario; `start` is the simulated clock's time zero (ms since the epoch).
    pub fn from_config(
        config: &ScenarioConfig,
        seed: u64,
        start: Timestamp,
    ) -> Result<Self, BuildError> {
        let start_ms = start.as_millis();
        let delay = config.simulation.reconnect_delay_ms;
        let mut nodes = Vec::new();
        let mut seen: HashMap<(String, String), ()> = HashMap::new();
        let mut replays: HashMap<(String, Option<String>), Arc<[f64]>> = HashMap::new();
        let mut metric_count = 0;
        for (e, plant) in config.plants.iter().enumerate() {
            let mqtt = plant.options.mqtt.clone().map(Arc::new);
            for n in 1..=plant.options.count {
                let at = format!("plant[{e}] node {n}");
                let index = nodes.len();
                let node_seed = Rng::derive(seed, index as u64).next_u64();
                let offset = stagger(index);
                let (source, layout) = PlantSource::new(plant, node_seed, start_ms, offset);
                let (mut edge, group, node) = edge_node(&plant.options, n, &at, &mut seen)?;
                let t0 = Timestamp::from_millis(start_ms);
                for (name, definition) in layout.templates {
                    edge.define_template(t0, name, definition)
                        .map_err(|source| BuildError::Template {
                            at: at.clone(),
                            source,
                        })?;
                }
                metric_count += layout.node_metrics.len();
                edge.add_node_metrics(t0, layout.node_metrics)
                    .map_err(|source| BuildError::Metric {
                        at: at.clone(),
                        source,
                    })?;
                let mut devices = Vec::new();
                for (name, specs) in layout.devices {
                    let id = DeviceId::new(name).map_err(|source| BuildError::Id {
                        at: at.clone(),
                        source,
                    })?;
                    metric_count += specs.len();
                    edge.add_device(t0, id.clone(), specs).map_err(|source| {
                        BuildError::Device {
                            at: at.clone(),
                            source,
                        }
                    })?;
                    devices.push(id);
                }
                let source = Source::Plant(Box::new(source));
                let mqtt = mqtt.clone();
                nodes.push(SimNode::new(
                    index, edge, group, node, devices, source, mqtt, delay, start_ms,
                ));
            }
        }
        for (e, generic) in config.nodes.iter().enumerate() {
            let mqtt = generic.options.mqtt.clone().map(Arc::new);
            for n in 1..=generic.options.count {
                let at = format!("node[{e}] node {n}");
                let index = nodes.len();
                let mut rng = Rng::derive(seed, index as u64);
                let offset = stagger(index);
                let (mut edge, group, node) = edge_node(&generic.options, n, &at, &mut seen)?;
                let t0 = Timestamp::from_millis(start_ms);
                let uses_templates = generic
                    .node_metrics
                    .iter()
                    .chain(&generic.metrics)
                    .any(|m| values::parse_datatype(&m.datatype) == Ok(DataType::Template));
                if uses_templates {
                    edge.define_template(t0, values::SAMPLE_TEMPLATE, values::sample_definition())
                        .map_err(|source| BuildError::Template {
                            at: at.clone(),
                            source,
                        })?;
                }
                let mut slots = Vec::new();
                let node_specs = specs(
                    &generic.node_metrics,
                    None,
                    &mut slots,
                    &mut rng,
                    &mut replays,
                    start_ms,
                    offset,
                    &at,
                )?;
                metric_count += node_specs.len();
                edge.add_node_metrics(t0, node_specs)
                    .map_err(|source| BuildError::Metric {
                        at: at.clone(),
                        source,
                    })?;
                let mut devices = Vec::new();
                for (d, name) in generic.device_names.iter().enumerate() {
                    let id = DeviceId::new(name.as_str()).map_err(|source| BuildError::Id {
                        at: at.clone(),
                        source,
                    })?;
                    let device_specs = specs(
                        &generic.metrics,
                        Some(d),
                        &mut slots,
                        &mut rng,
                        &mut replays,
                        start_ms,
                        offset,
                        &at,
                    )?;
                    metric_count += device_specs.len();
                    edge.add_device(t0, id.clone(), device_specs)
                        .map_err(|source| BuildError::Device {
                            at: at.clone(),
                            source,
                        })?;
                    devices.push(id);
                }
                let mut source = GenericSource { slots, next_due: 0 };
                source.refresh_due();
                let mqtt = mqtt.clone();
                nodes.push(SimNode::new(
                    index,
                    edge,
                    group,
                    node,
                    devices,
                    Source::Generic(source),
                    mqtt,
                    delay,
                    start_ms,
                ));
            }
        }
        let mut faults = Vec::new();
        for (i, f) in config.faults.iter().enumerate() {
            let node = if f.node == "*" {
                None
            } else {
                let found = nodes
                    .iter()
                    .position(|n| n.node == f.node || format!("{}/{}", n.group, n.node) == f.node);
                Some(found.ok_or_else(|| BuildError::UnknownFaultNode {
                    index: i,
                    node: f.node.clone(),
                })?)
            };
            faults.push(Scheduled {
                at: start_ms + (f.at_s * 1000.0) as u64,
                node,
                kind: f.kind.clone(),
            });
        }
        let random = match &config.random_faults {
            Some(r) if r.per_node_per_hour > 0.0 && !nodes.is_empty() => {
                let mean_gap_ms = 3_600_000.0 / r.per_node_per_hour;
                let mut rng = Rng::derive(seed, u64::MAX);
                let next = (0..nodes.len())
                    .map(|i| Reverse((start_ms + rng.exponential(mean_gap_ms).max(1.0) as u64, i)))
                    .collect();
                Some(RandomFaults {
                    mean_gap_ms,
                    kinds: r.fault_kinds(),
                    next,
                    rng,
                })
            }
            _ => None,
        };
        Ok(Scenario::assemble(
            nodes,
            start_ms,
            faults,
            random,
            metric_count,
        ))
    }
}

/// A per-node phase in 0..1000 ms so that nodes do not all sample at the same instant.
fn stagger(index: usize) -> u64 {
    (index as u64).wrapping_mul(7919) % 1000
}

fn edge_node(
    o: &NodeOptions,
    n: u32,
    at: &str,
    seen: &mut HashMap<(String, String), ()>,
) -> Result<(EdgeNode, String, String), BuildError> {
    let id_err = |source| BuildError::Id {
        at: at.to_owned(),
        source,
    };
    let node = o.node_id(n);
    let group_id = GroupId::new(o.group.as_str()).map_err(id_err)?;
    let node_id = EdgeNodeId::new(node.as_str()).map_err(id_err)?;
    if seen.insert((o.group.clone(), node.clone()), ()).is_some() {
        return Err(BuildError::DuplicateNode {
            at: at.to_owned(),
            group: o.group.clone(),
            node,
        });
    }
    let mut config = EdgeNodeConfig::new(group_id, node_id)
        .with_aliases(o.aliases)
        .with_rebirth_debounce(Duration::from_millis(o.rebirth_debounce_ms))
        .with_store_forward_capacity(o.store_forward_capacity);
    if let Some(host) = &o.primary_host {
        config = config.with_primary_host(HostId::new(host.as_str()).map_err(id_err)?);
    }
    Ok((EdgeNode::new(config, None), o.group.clone(), node))
}

/// The metric specs of one device (or the node) and their generator slots.
#[allow(clippy::too_many_arguments)]
fn specs(
    metrics: &[MetricConfig],
    device: Option<usize>,
    slots: &mut Vec<Slot>,
    rng: &mut Rng,
    replays: &mut HashMap<(String, Option<String>), Arc<[f64]>>,
    start_ms: u64,
    offset: u64,
    at: &str,
) -> Result<Vec<MetricSpec>, BuildError> {
    let mut out = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        let at = format!("{at} metric[{i}]");
        let datatype = values::parse_datatype(&m.datatype)
            .map_err(|p| crate::config::ConfigError::invalid(&at, p))?;
        let replay = match &m.generator {
            GeneratorConfig::Replay { file, column, .. } => {
                let key = (file.clone(), column.clone());
                let rows = match replays.get(&key) {
                    Some(rows) => rows.clone(),
                    None => {
                        let rows = csv::load(file, column.as_deref()).map_err(|source| {
                            BuildError::Csv {
                                at: at.clone(),
                                source,
                            }
                        })?;
                        replays.insert(key, rows.clone());
                        rows
                    }
                };
                Some(rows)
            }
            _ => None,
        };
        for name in m.names() {
            let stream = Rng::new(rng.next_u64());
            let mut slot = Slot {
                device,
                name: name.clone(),
                datatype,
                generator: Generator::new(&m.generator, stream, replay.clone()),
                period_ms: m.period_ms,
                next_due: start_ms + offset % m.period_ms + m.period_ms,
                array_len: m.array_len,
                writable: m.writable,
            };
            let initial = slot.sample(start_ms, start_ms, start_ms);
            let mut spec = MetricSpec::new(name, datatype).with_value(initial);
            if let Some(d) = m.deadband {
                spec = spec.with_deadband(d);
            }
            if let Some(p) = properties(m) {
                spec = spec.with_properties(p);
            }
            out.push(spec);
            slots.push(slot);
        }
    }
    Ok(out)
}

fn properties(m: &MetricConfig) -> Option<PropertySet> {
    let mut p = PropertySet::new();
    if let Some(u) = &m.units {
        p.insert("engUnit", PropertyValue::new(u.as_str()));
    }
    if let Some(v) = m.eng_low {
        p.insert("engLow", PropertyValue::new(v));
    }
    if let Some(v) = m.eng_high {
        p.insert("engHigh", PropertyValue::new(v));
    }
    if let Some(d) = &m.description {
        p.insert("description", PropertyValue::new(d.as_str()));
    }
    if m.writable {
        p.insert("writable", PropertyValue::new(true));
    }
    (!p.is_empty()).then_some(p)
}
