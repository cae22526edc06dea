//! The metrics of data and command messages, checked against the birth that declared them.

use std::collections::{HashMap, HashSet};

use crate::topic::MessageType;
use crate::validate::NODE_CONTROL_REBIRTH;
use crate::{AliasTable, Metric, MetricDefinition, Payload, Value};

use super::edge::Msg;
use super::finding::CAPACITY;
use super::rules;

/// What one birth (NBIRTH for the node, DBIRTH for a device) declared: the alias table and
/// the last live timestamp of every metric. Empty when the birth is unknown.
#[derive(Debug, Default)]
pub(super) struct Scope {
    pub(super) table: Option<AliasTable>,
    timestamps: HashMap<String, u64>,
}

impl Scope {
    /// The scope of a birth; empty, and reported, when the birth is too large to keep.
    pub(super) fn from_birth(m: &mut Msg<'_>, birth: &Payload) -> Scope {
        if birth.metrics.len() > m.max_metrics {
            let detail = format!(
                "{} has {} metrics, more than max_metrics_per_birth = {}: later messages are \
                 not checked against it",
                m.t,
                birth.metrics.len(),
                m.max_metrics
            );
            m.emit.info(CAPACITY, detail);
            return Scope::default();
        }
        let timestamps = birth
            .metrics
            .iter()
            .filter_map(|metric| {
                let ts = if metric.is_historical {
                    0
                } else {
                    metric.timestamp.unwrap_or(0)
                };
                Some((metric.name.clone()?, ts))
            })
            .collect();
        Scope {
            table: Some(birth_table(birth)),
            timestamps,
        }
    }

    /// The aliases this scope declared.
    pub(super) fn aliases(&self) -> impl Iterator<Item = u64> + '_ {
        self.table
            .iter()
            .flat_map(|t| t.iter().filter_map(|d| d.alias))
    }

    /// NDATA or DDATA: every metric must resolve against the birth (alias or name declared,
    /// value readable as the declared datatype), and the live timestamps of one metric must
    /// not go backwards (`tck-id-operational-behavior-data-publish-nbirth-order` and
    /// `-dbirth-order`, SHOULD).
    pub(super) fn data(&mut self, m: &mut Msg<'_>, mut payload: Payload) {
        let Some(table) = &self.table else { return };
        let t = m.t;
        let order = if t == MessageType::DData {
            "operational-behavior-data-publish-dbirth-order"
        } else {
            "operational-behavior-data-publish-nbirth-order"
        };
        for (i, metric) in payload.metrics.iter_mut().enumerate() {
            if let Err(e) = table.resolve(metric) {
                if let Some((severity, id)) = rules::unresolved(t, &e) {
                    m.emit.push(severity, id, format!("{t} metrics[{i}]: {e}"));
                }
                continue;
            }
            let (Some(name), Some(ts), false) =
                (&metric.name, metric.timestamp, metric.is_historical)
            else {
                continue;
            };
            if let Some(last) = self.timestamps.get_mut(name.as_str()) {
                if ts < *last {
                    let detail = format!(
                        "{t} metric {name:?} has timestamp {ts}, before its previous value's \
                         {last}, and is not historical"
                    );
                    m.emit.should(order, detail);
                }
                *last = ts;
            }
        }
    }

    /// NCMD or DCMD: metrics SHOULD be the birth's and MUST fit their datatype. Returns the
    /// number of `Node Control/Rebirth` requests (NCMD only).
    pub(super) fn command(&self, m: &mut Msg<'_>, mut payload: Payload) -> u64 {
        let t = m.t;
        let mut rebirths = 0;
        for (i, metric) in payload.metrics.iter_mut().enumerate() {
            if t == MessageType::NCmd && metric.name.as_deref() == Some(NODE_CONTROL_REBIRTH) {
                if metric.value == Some(Value::Boolean(true)) {
                    rebirths += 1;
                    m.emit.info(
                        "operational-behavior-data-commands-ncmd-rebirth-name",
                        "NCMD requests a rebirth (Node Control/Rebirth = true)".into(),
                    );
                } else {
                    let detail = format!(
                        "NCMD Node Control/Rebirth carries {:?}, not the Boolean true",
                        metric.value
                    );
                    m.emit.must(
                        "operational-behavior-data-commands-ncmd-rebirth-value",
                        detail,
                    );
                }
                continue;
            }
            let Some(table) = &self.table else { continue };
            if let Err(e) = table.resolve(metric) {
                if let Some((severity, id)) = rules::unresolved(t, &e) {
                    m.emit.push(severity, id, format!("{t} metrics[{i}]: {e}"));
                }
            }
        }
        rebirths
    }
}

/// The alias table of a birth. A birth the validator faults (a repeated alias, a metric
/// without name or datatype) still gives a table of what can be read from it.
fn birth_table(birth: &Payload) -> AliasTable {
    if let Ok(table) = AliasTable::from_birth(birth) {
        return table;
    }
    let mut table = AliasTable::new();
    for metric in &birth.metrics {
        let (Some(name), Some(datatype)) = (&metric.name, metric.datatype) else {
            continue;
        };
        let mut def = MetricDefinition {
            name: name.clone(),
            alias: metric.alias,
            datatype,
            members: None,
        };
        if table.insert(def.clone()).is_err() {
            // The alias is taken: keep the metric by name.
            def.alias = None;
            let _ = table.insert(def);
        }
    }
    table
}

/// The names of the template definitions of an NBIRTH.
pub(super) fn definitions(nbirth: &Payload) -> HashSet<String> {
    nbirth
        .metrics
        .iter()
        .filter(|m| matches!(&m.value, Some(Value::Template(t)) if t.is_definition == Some(true)))
        .filter_map(|m| m.name.clone())
        .collect()
}

/// Every template instance, at any depth, must refer to a definition of the session's NBIRTH
/// (`tck-id-topics-nbirth-templates`). Nothing is checked when that NBIRTH was not seen.
pub(super) fn template_refs(m: &mut Msg<'_>, payload: &Payload, defs: Option<&HashSet<String>>) {
    if let Some(defs) = defs {
        for metric in &payload.metrics {
            instance_refs(m, metric, defs);
        }
    }
}

/// Recursion is bounded by the decoder's depth limit.
fn instance_refs(m: &mut Msg<'_>, metric: &Metric, defs: &HashSet<String>) {
    let Some(Value::Template(template)) = &metric.value else {
        return;
    };
    if let (Some(false), Some(r)) = (template.is_definition, &template.template_ref) {
        if !defs.contains(r) {
            let detail = format!(
                "{} metric {:?} is an instance of template {r:?}, which the NBIRTH does not define",
                m.t,
                metric.name.as_deref().unwrap_or("")
            );
            m.emit.must("topics-nbirth-templates", detail);
        }
    }
    for member in &template.metrics {
        instance_refs(m, member, defs);
    }
}
