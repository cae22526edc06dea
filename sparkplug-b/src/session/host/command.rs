//! Commands the host sends: metric writes (NCMD, DCMD) and rebirth requests.

use super::error::CommandError;
use super::inbound::NodeCtx;
use super::node::NodeState;
use super::rebirth::RebirthReason;
use super::{Connection, HostApplication};
use crate::session::{Publish, QoS, Timestamp, Transmit};
use crate::topic::{DeviceId, DeviceMessageType, EdgeNodeId, GroupId, NodeMessageType, Topic};
use crate::validate::NODE_CONTROL_REBIRTH;
use crate::{
    AliasTable, DataType, EncodeOptions, Metric, MetricDefinition, Payload, Template, Value,
};

impl HostApplication {
    /// Writes `value` to a metric of an online node (NCMD) or device (DCMD), named as in its
    /// birth. The command addresses the metric by alias when the birth gave one, else by name,
    /// and carries the value as the birth's datatype; QoS 0, not retained
    /// (`tck-id-topics-ncmd-payload`, `tck-id-topics-dcmd-payload`). `name` may be the path of
    /// a member of a Template metric (`Motor1/Speed`): the command then carries the instance
    /// with that member alone, typed as the birth declared the member.
    ///
    /// # Errors
    /// [`CommandError`]: not connected; node, device or metric unknown or not online; a value
    /// that does not fit the datatype.
    pub fn write_metric(
        &mut self,
        now: Timestamp,
        group: &GroupId,
        node: &EdgeNodeId,
        device: Option<&DeviceId>,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<(), CommandError> {
        if !matches!(self.connection, Connection::Online { .. }) {
            return Err(CommandError::NotConnected);
        }
        let unknown_node = || CommandError::UnknownNode {
            group: group.clone(),
            node: node.clone(),
        };
        let state = self.node(group, node).ok_or_else(unknown_node)?;
        if !state.born {
            return Err(unknown_node());
        }
        if !state.is_online() {
            return Err(CommandError::NodeNotOnline {
                group: group.clone(),
                node: node.clone(),
            });
        }
        let (table, metrics) = match device {
            None => (state.aliases(), &state.metrics),
            Some(device) => {
                let dev = state
                    .device(device)
                    .ok_or_else(|| CommandError::UnknownDevice {
                        group: group.clone(),
                        node: node.clone(),
                        device: device.clone(),
                    })?;
                if !dev.is_online() {
                    return Err(CommandError::DeviceNotOnline {
                        group: group.clone(),
                        node: node.clone(),
                        device: device.clone(),
                    });
                }
                (dev.aliases(), &dev.metrics)
            }
        };
        let options = &self.config.encode_options;
        let publish = match table.by_name(name) {
            Some(def) => write(now, group, node, device, def, value.into(), options)?,
            None => {
                let (def, member) =
                    member_of(table, name).ok_or_else(|| CommandError::UnknownMetric {
                        name: name.to_owned(),
                    })?;
                let template_ref = match metrics.get(&def.name).and_then(|m| m.value.as_ref()) {
                    Some(Value::Template(t)) => t.template_ref.clone(),
                    _ => None,
                }
                .ok_or_else(|| CommandError::UnknownMetric {
                    name: name.to_owned(),
                })?;
                let given = value.into();
                let given_type = given.data_type();
                let typed = coerce(given, member.datatype).ok_or_else(|| {
                    CommandError::IncompatibleValue {
                        name: name.to_owned(),
                        datatype: member.datatype,
                        given: given_type,
                    }
                })?;
                let instance = Template::instance(
                    template_ref,
                    vec![Metric {
                        name: Some(member.name.clone()),
                        value: Some(typed),
                        ..Metric::default()
                    }],
                );
                let metric = Metric {
                    name: def.alias.is_none().then(|| def.name.clone()),
                    alias: def.alias,
                    timestamp: Some(now.as_millis()),
                    value: Some(Value::Template(Box::new(instance))),
                    ..Metric::default()
                };
                ncmd(now, group, node, device, metric, options)?
            }
        };
        self.out.transmits.push_back(Transmit::Publish(publish));
        Ok(())
    }

    /// Asks an edge node for a rebirth now, whatever the rate limit (which it restarts).
    ///
    /// # Errors
    /// [`CommandError::NotConnected`] when the host is not online with its broker.
    pub fn request_rebirth(
        &mut self,
        now: Timestamp,
        group: &GroupId,
        node: &EdgeNodeId,
    ) -> Result<(), CommandError> {
        if !matches!(self.connection, Connection::Online { .. }) {
            return Err(CommandError::NotConnected);
        }
        let state = self
            .nodes
            .entry(group.clone())
            .or_default()
            .entry(node.clone())
            .or_insert_with(|| NodeState::new(group.clone(), node.clone(), now));
        let mut ctx = NodeCtx {
            config: &self.config,
            out: &mut self.out,
            group,
            node_id: node,
            connected: true,
        };
        ctx.request_rebirth(state, now, RebirthReason::Requested, true);
        Ok(())
    }
}

/// The rebirth request to an edge node: NCMD with a payload timestamp, no seq, and the metric
/// `Node Control/Rebirth` = true, by name, never by alias; QoS 0, not retained
/// (`tck-id-operational-behavior-data-commands-ncmd-rebirth-verb`, `-name`, `-value`).
pub(super) fn rebirth(
    now: Timestamp,
    group: &GroupId,
    node: &EdgeNodeId,
    options: &EncodeOptions,
) -> Result<Publish, CommandError> {
    let metric = Metric {
        name: Some(NODE_CONTROL_REBIRTH.to_owned()),
        timestamp: Some(now.as_millis()),
        value: Some(Value::Boolean(true)),
        ..Metric::default()
    };
    ncmd(now, group, node, None, metric, options)
}

/// A write of `value` to the metric `def` of a node (NCMD) or device (DCMD): by alias when the
/// birth gave one, else by name; no datatype (`tck-id-payloads-metric-datatype-not-req`); the
/// value converted to the birth's datatype.
pub(super) fn write(
    now: Timestamp,
    group: &GroupId,
    node: &EdgeNodeId,
    device: Option<&DeviceId>,
    def: &MetricDefinition,
    value: Value,
    options: &EncodeOptions,
) -> Result<Publish, CommandError> {
    let given = value.data_type();
    let value = coerce(value, def.datatype).ok_or_else(|| CommandError::IncompatibleValue {
        name: def.name.clone(),
        datatype: def.datatype,
        given,
    })?;
    let metric = Metric {
        name: match def.alias {
            Some(_) => None,
            None => Some(def.name.clone()),
        },
        alias: def.alias,
        timestamp: Some(now.as_millis()),
        value: Some(value),
        ..Metric::default()
    };
    ncmd(now, group, node, device, metric, options)
}

/// The Template metric and its member that `path` (`Motor1/Speed`) names in a birth's table.
fn member_of<'t>(
    table: &'t AliasTable,
    path: &str,
) -> Option<(&'t MetricDefinition, &'t MetricDefinition)> {
    path.match_indices('/').find_map(|(i, _)| {
        let def = table.by_name(&path[..i])?;
        let member = def.members.as_ref()?.by_name(&path[i + 1..])?;
        Some((def, member))
    })
}

/// The NCMD (no device) or DCMD publish carrying `metric`
/// (`tck-id-topics-ncmd-mqtt`, `tck-id-payloads-ncmd-seq`, `tck-id-topics-dcmd-mqtt`,
/// `tck-id-payloads-dcmd-seq`).
fn ncmd(
    now: Timestamp,
    group: &GroupId,
    node: &EdgeNodeId,
    device: Option<&DeviceId>,
    metric: Metric,
    options: &EncodeOptions,
) -> Result<Publish, CommandError> {
    let topic = match device {
        None => Topic::Node {
            group: group.clone(),
            message_type: NodeMessageType::NCmd,
            node: node.clone(),
        },
        Some(device) => Topic::Device {
            group: group.clone(),
            message_type: DeviceMessageType::DCmd,
            node: node.clone(),
            device: device.clone(),
        },
    };
    let payload = Payload::new(now.as_millis()).with_metric(metric);
    let mut bytes = Vec::new();
    payload.encode_with(&mut bytes, options)?;
    Ok(Publish {
        topic: topic.to_string(),
        payload: bytes,
        qos: QoS::AtMostOnce,
        retain: false,
    })
}

/// `value` as a value of `datatype`, when it fits: integers of any width in range, Float as
/// Double, a Double that a Float holds exactly, text among String/Text/UUID, bytes as File or
/// a packed array. `None` when it does not fit.
fn coerce(value: Value, datatype: DataType) -> Option<Value> {
    use DataType as T;
    if value.data_type() == datatype {
        return Some(value);
    }
    if let Some(int) = integer(&value) {
        return match datatype {
            T::Int8 => i8::try_from(int).ok().map(Value::Int8),
            T::Int16 => i16::try_from(int).ok().map(Value::Int16),
            T::Int32 => i32::try_from(int).ok().map(Value::Int32),
            T::Int64 => i64::try_from(int).ok().map(Value::Int64),
            T::UInt8 => u8::try_from(int).ok().map(Value::UInt8),
            T::UInt16 => u16::try_from(int).ok().map(Value::UInt16),
            T::UInt32 => u32::try_from(int).ok().map(Value::UInt32),
            T::UInt64 => u64::try_from(int).ok().map(Value::UInt64),
            T::DateTime => u64::try_from(int).ok().map(Value::DateTime),
            _ => None,
        };
    }
    match (value, datatype) {
        (Value::Float(x), T::Double) => Some(Value::Double(x.into())),
        (Value::Double(x), T::Float) => {
            let narrow = x as f32;
            (f64::from(narrow) == x || x.is_nan()).then_some(Value::Float(narrow))
        }
        (Value::String(s) | Value::Text(s) | Value::Uuid(s), T::String) => Some(Value::String(s)),
        (Value::String(s) | Value::Text(s) | Value::Uuid(s), T::Text) => Some(Value::Text(s)),
        (Value::String(s) | Value::Text(s) | Value::Uuid(s), T::Uuid) => Some(Value::Uuid(s)),
        (Value::Bytes(b), T::File) => Some(Value::File(b)),
        (Value::File(b), T::Bytes) => Some(Value::Bytes(b)),
        (Value::Bytes(b), T::UInt8Array) => Some(Value::UInt8Array(b)),
        (Value::Bytes(b), array) if array.is_array() => Value::Bytes(b).reinterpret(array).ok(),
        _ => None,
    }
}

/// The value of an integer or DateTime, widened.
fn integer(value: &Value) -> Option<i128> {
    Some(match *value {
        Value::Int8(v) => v.into(),
        Value::Int16(v) => v.into(),
        Value::Int32(v) => v.into(),
        Value::Int64(v) => v.into(),
        Value::UInt8(v) => v.into(),
        Value::UInt16(v) => v.into(),
        Value::UInt32(v) => v.into(),
        Value::UInt64(v) | Value::DateTime(v) => v.into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (GroupId, EdgeNodeId) {
        (GroupId::new("G").unwrap(), EdgeNodeId::new("E").unwrap())
    }

    /// tck-id-operational-behavior-data-commands-ncmd-rebirth-verb,
    /// tck-id-operational-behavior-data-commands-ncmd-rebirth-name,
    /// tck-id-operational-behavior-data-commands-ncmd-rebirth-value;
    /// tck-id-topics-ncmd-topic, tck-id-topics-ncmd-mqtt, tck-id-payloads-ncmd-seq,
    /// tck-id-payloads-ncmd-timestamp, tck-id-payloads-ncmd-qos, tck-id-payloads-ncmd-retain
    #[test]
    fn the_rebirth_request() {
        let (g, e) = ids();
        let publish = rebirth(
            Timestamp::from_millis(77),
            &g,
            &e,
            &EncodeOptions::default(),
        )
        .unwrap();
        assert_eq!(publish.topic, "spBv1.0/G/NCMD/E");
        assert_eq!((publish.qos, publish.retain), (QoS::AtMostOnce, false));
        let payload = Payload::decode(&publish.payload).unwrap();
        assert_eq!((payload.timestamp, payload.seq), (Some(77), None));
        assert_eq!(payload.metrics.len(), 1);
        let m = &payload.metrics[0];
        assert_eq!(m.name.as_deref(), Some("Node Control/Rebirth"));
        assert_eq!(
            (m.alias, m.value.clone()),
            (None, Some(Value::Boolean(true)))
        );
    }

    /// tck-id-operational-behavior-data-commands-ncmd-metric-value and
    /// tck-id-operational-behavior-data-commands-dcmd-metric-value
    #[test]
    fn values_are_converted_to_the_birth_datatype_or_refused() {
        assert_eq!(
            coerce(Value::Int64(-5), DataType::Int8),
            Some(Value::Int8(-5))
        );
        assert_eq!(coerce(Value::Int32(300), DataType::UInt8), None);
        assert_eq!(coerce(Value::Int32(-1), DataType::UInt32), None);
        assert_eq!(coerce(Value::UInt64(u64::MAX), DataType::Int64), None);
        assert_eq!(
            coerce(Value::Int32(7), DataType::DateTime),
            Some(Value::DateTime(7))
        );
        assert_eq!(
            coerce(Value::Float(1.5), DataType::Double),
            Some(Value::Double(1.5))
        );
        assert_eq!(
            coerce(Value::Double(1.5), DataType::Float),
            Some(Value::Float(1.5))
        );
        assert_eq!(coerce(Value::Double(0.1), DataType::Float), None);
        assert_eq!(coerce(Value::Boolean(true), DataType::Int8), None);
        assert_eq!(coerce(Value::Int8(1), DataType::Boolean), None);
        assert_eq!(coerce(Value::Double(1.0), DataType::Int32), None);
        assert_eq!(
            coerce("u".into(), DataType::Uuid),
            Some(Value::Uuid("u".into()))
        );
        assert_eq!(
            coerce(vec![1u8, 2].into(), DataType::UInt8Array),
            Some(Value::UInt8Array(vec![1, 2]))
        );
        assert_eq!(
            coerce(Value::Bytes(vec![1, 0]), DataType::UInt16Array),
            Some(Value::UInt16Array(vec![1]))
        );
        assert_eq!(
            coerce(Value::Bytes(vec![1]), DataType::File),
            Some(Value::File(vec![1]))
        );
    }

    /// tck-id-topics-dcmd-topic, tck-id-topics-dcmd-mqtt, tck-id-payloads-dcmd-seq,
    /// tck-id-payloads-dcmd-timestamp, tck-id-payloads-alias-data-cmd-requirement
    #[test]
    fn writes_use_the_alias_when_the_birth_gave_one() {
        let (g, e) = ids();
        let d = DeviceId::new("D").unwrap();
        let def = MetricDefinition {
            name: "Level".into(),
            alias: Some(4),
            datatype: DataType::Int8,
            members: None,
        };
        let publish = write(
            Timestamp::from_millis(9),
            &g,
            &e,
            Some(&d),
            &def,
            Value::Int32(-1),
            &EncodeOptions::default(),
        )
        .unwrap();
        assert_eq!(publish.topic, "spBv1.0/G/DCMD/E/D");
        assert_eq!((publish.qos, publish.retain), (QoS::AtMostOnce, false));
        let payload = Payload::decode(&publish.payload).unwrap();
        assert_eq!((payload.timestamp, payload.seq), (Some(9), None));
        let m = &payload.metrics[0];
        assert_eq!(
            (m.name.as_deref(), m.alias, m.datatype),
            (None, Some(4), None)
        );
        // Sign-extended into int_value; reads back as -1 through the birth's datatype.
        assert_eq!(
            m.value.clone().map(|v| v.reinterpret(DataType::Int8)),
            Some(Ok(Value::Int8(-1)))
        );
        let err = write(
            Timestamp::from_millis(9),
            &g,
            &e,
            None,
            &def,
            Value::Int32(999),
            &EncodeOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            CommandError::IncompatibleValue {
                datatype: DataType::Int8,
                given: DataType::Int32,
                ..
            }
        ));
    }
}
