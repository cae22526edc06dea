//! NCMD and DCMD: commands from host applications, read against this node's own births.
//!
//! Command metrics normally carry an alias or a name and no datatype
//! (`tck-id-payloads-alias-data-cmd-requirement`), so each one is resolved through the
//! [`AliasTable`] of the birth that declared it and its value read as the birth's datatype.
//! A metric that does not resolve, or whose value does not fit, is reported and skipped; the
//! others are still delivered (`tck-id-operational-behavior-data-commands-ncmd-metric-name`,
//! `tck-id-operational-behavior-data-commands-dcmd-metric-value`).

use crate::topic::DeviceId;
use crate::validate::{BDSEQ, NODE_CONTROL_REBIRTH};
use crate::{AliasTable, Metric, Payload, Value};

use super::error::{CommandError, UnknownDevice};
use super::event::EdgeEvent;

/// What a command payload asks for.
#[derive(Debug, Default)]
pub(super) struct Commands {
    /// One event per metric: a command or its rejection.
    pub(super) events: Vec<EdgeEvent>,
    /// Whether `Node Control/Rebirth` = true was among them
    /// (`tck-id-operational-behavior-data-commands-ncmd-rebirth-value`).
    pub(super) rebirth: bool,
}

/// Reads an NCMD (`device: None`) or DCMD payload against `table`: the node's NBIRTH or the
/// device's DBIRTH.
pub(super) fn read(table: &AliasTable, device: Option<&DeviceId>, payload: Payload) -> Commands {
    let mut out = Commands::default();
    for mut metric in payload.metrics {
        let reject = |metric: &Metric, error: CommandError| EdgeEvent::CommandRejected {
            device: device.cloned(),
            name: metric.name.clone(),
            alias: metric.alias,
            error,
        };
        // Rebirth is never aliased, so any host can ask by name
        // (`tck-id-operational-behavior-data-commands-ncmd-rebirth-name`).
        if device.is_none()
            && metric.alias.is_none()
            && metric.name.as_deref() == Some(NODE_CONTROL_REBIRTH)
        {
            match metric.value {
                Some(Value::Boolean(true)) => out.rebirth = true,
                Some(Value::Boolean(false)) => {}
                _ => out
                    .events
                    .push(reject(&metric, CommandError::RebirthNotBoolean)),
            }
            continue;
        }
        let (name, alias) = (metric.name.clone(), metric.alias);
        if let Err(e) = table.resolve(&mut metric) {
            out.events.push(EdgeEvent::CommandRejected {
                device: device.cloned(),
                name,
                alias,
                error: e.into(),
            });
            continue;
        }
        // Resolution sets the name from the birth.
        let name = metric.name.clone().unwrap_or_default();
        let event = if device.is_none() && name == BDSEQ {
            reject(&metric, CommandError::ReadOnly(name))
        } else {
            match metric.value.take() {
                // A write to template members: one command per member, by path
                // (`Motor1/Speed`), typed by the birth like any metric.
                Some(Value::Template(instance)) if !metric.is_null => {
                    member_commands(device, &name, *instance, &mut out.events);
                    continue;
                }
                Some(value) if !metric.is_null => EdgeEvent::Command {
                    device: device.cloned(),
                    name,
                    value,
                },
                _ => reject(&metric, CommandError::NoValue(name)),
            }
        };
        out.events.push(event);
    }
    out
}

/// The members of a template written by a command, as commands named by their paths; nested
/// templates by their members' paths.
fn member_commands(
    device: Option<&DeviceId>,
    path: &str,
    instance: crate::Template,
    out: &mut Vec<EdgeEvent>,
) {
    for member in instance.metrics {
        let name = format!("{path}/{}", member.name.as_deref().unwrap_or_default());
        match member.value {
            Some(Value::Template(inner)) if !member.is_null => {
                member_commands(device, &name, *inner, out);
            }
            Some(value) if !member.is_null => out.push(EdgeEvent::Command {
                device: device.cloned(),
                name,
                value,
            }),
            _ => out.push(EdgeEvent::CommandRejected {
                device: device.cloned(),
                name: Some(name.clone()),
                alias: None,
                error: CommandError::NoValue(name),
            }),
        }
    }
}

/// Rejects every metric of a DCMD to a device this node does not have.
pub(super) fn unknown_device(device: &DeviceId, payload: Payload) -> Vec<EdgeEvent> {
    payload
        .metrics
        .into_iter()
        .map(|metric| EdgeEvent::CommandRejected {
            device: Some(device.clone()),
            name: metric.name,
            alias: metric.alias,
            error: CommandError::UnknownDevice(UnknownDevice(device.clone())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DataType, ResolveError, ValueError};

    fn table() -> AliasTable {
        let birth = Payload::new(1)
            .with_seq(0)
            .with_metric(Metric::new(BDSEQ, 0i64))
            .with_metric(Metric::new(NODE_CONTROL_REBIRTH, false))
            .with_metric(Metric::new("Setpoint", Value::Int8(0)).with_alias(1))
            .with_metric(Metric::new("Mode", "auto").with_alias(2));
        AliasTable::from_birth(&birth).unwrap()
    }

    /// Encodes and decodes, as the wire would.
    fn wire(payload: Payload) -> Payload {
        Payload::decode(&payload.encode_to_vec().unwrap()).unwrap()
    }

    fn cmd(metric: Metric) -> Payload {
        wire(Payload::new(5).with_metric(metric))
    }

    /// tck-id-operational-behavior-data-commands-ncmd-rebirth-name and
    /// tck-id-operational-behavior-data-commands-ncmd-rebirth-value: rebirth by name,
    /// with or without a datatype; false is no request.
    #[test]
    fn rebirth_by_name() {
        let t = table();
        let with_type = cmd(Metric::new(NODE_CONTROL_REBIRTH, true));
        assert!(read(&t, None, with_type).rebirth);
        let without = cmd(Metric::new(NODE_CONTROL_REBIRTH, true).without_datatype());
        let out = read(&t, None, without);
        assert!(out.rebirth && out.events.is_empty());
        let no = read(&t, None, cmd(Metric::new(NODE_CONTROL_REBIRTH, false)));
        assert!(!no.rebirth && no.events.is_empty());
        let bad = read(&t, None, cmd(Metric::new(NODE_CONTROL_REBIRTH, 1i32)));
        assert!(!bad.rebirth);
        assert!(matches!(
            &bad.events[0],
            EdgeEvent::CommandRejected {
                error: CommandError::RebirthNotBoolean,
                ..
            }
        ));
    }

    /// tck-id-operational-behavior-data-commands-ncmd-metric-value and
    /// tck-id-payloads-alias-data-cmd-requirement: by alias without a datatype, typed by the
    /// birth (an Int8 -1 arrives sign-extended).
    #[test]
    fn commands_resolve_by_alias_and_name() {
        let t = table();
        let payload = wire(
            Payload::new(5)
                .with_metric(Metric::aliased(1, Value::Int8(-1)))
                .with_metric(Metric::new("Mode", "manual").without_datatype()),
        );
        let out = read(&t, None, payload);
        assert_eq!(
            out.events,
            vec![
                EdgeEvent::Command {
                    device: None,
                    name: "Setpoint".into(),
                    value: Value::Int8(-1)
                },
                EdgeEvent::Command {
                    device: None,
                    name: "Mode".into(),
                    value: Value::String("manual".into())
                },
            ]
        );
    }

    /// tck-id-operational-behavior-data-commands-ncmd-metric-name: unknown metrics and
    /// incompatible values are reported, and the rest is still delivered.
    #[test]
    fn bad_commands_are_rejected_one_by_one() {
        let t = table();
        let payload = wire(
            Payload::new(5)
                .with_metric(Metric::new("Nope", 1i32).without_datatype())
                .with_metric(Metric::aliased(9, 1i32))
                .with_metric(Metric::aliased(2, true))
                .with_metric(Metric::aliased(1, Value::UInt32(3)))
                .with_metric(Metric::new(BDSEQ, 9i64).without_datatype())
                .with_metric(Metric {
                    alias: Some(2),
                    is_null: true,
                    ..Metric::default()
                })
                .with_metric(Metric::default()),
        );
        let out = read(&t, None, payload);
        let errors: Vec<_> = out
            .events
            .iter()
            .map(|e| match e {
                EdgeEvent::CommandRejected { error, .. } => Some(error.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            errors,
            vec![
                Some(ResolveError::UnknownName("Nope".into()).into()),
                Some(ResolveError::UnknownAlias(9).into()),
                Some(
                    ResolveError::Value {
                        name: "Mode".into(),
                        source: ValueError::WrongField {
                            datatype: DataType::String,
                            field: crate::WireField::BooleanValue
                        }
                    }
                    .into()
                ),
                None,
                Some(CommandError::ReadOnly(BDSEQ.into())),
                Some(CommandError::NoValue("Mode".into())),
                Some(ResolveError::Unaddressed.into()),
            ]
        );
    }

    #[test]
    fn dcmd_to_an_unknown_device() {
        let d = DeviceId::new("D").unwrap();
        let events = unknown_device(&d, cmd(Metric::new("x", 1i32)));
        assert!(matches!(
            &events[0],
            EdgeEvent::CommandRejected {
                device: Some(_),
                error: CommandError::UnknownDevice(_),
                ..
            }
        ));
    }
}
