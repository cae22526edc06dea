//! The direct path of in-order NDATA and DDATA (`direct.rs`) against the general path (decode,
//! validate, reorder buffer, resolve): for every kind of data message, the same events, the
//! same transmits and the same live values.

use super::*;
use crate::session::host::config::HostConfig;
use crate::session::host::inbound::{NodeCtx, Outbox};
use crate::session::host::node::NodeState;
use crate::session::host::{MetricState, Presence};
use crate::topic::MessageType;
use crate::{DataSet, DataType, DecodeOptions, PropertySet, PropertyValue, Quality, Template};

/// What one way of processing left behind.
#[derive(Debug, PartialEq)]
struct Outcome {
    events: Vec<HostEvent>,
    transmits: Vec<Transmit>,
    node_metrics: Vec<MetricState>,
    device_metrics: Vec<MetricState>,
    expected_seq: Option<u8>,
}

/// E1 and D1 as `born` leaves them.
fn born_node(config: &HostConfig) -> NodeState {
    let host = born(config.clone());
    host.node(&g(), &e()).unwrap().clone()
}

fn run(config: &HostConfig, device: Option<&str>, bytes: &[u8], direct: bool) -> (bool, Outcome) {
    let mut node = born_node(config);
    let mut out = Outbox::default();
    let (group, node_id) = (g(), e());
    let mut ctx = NodeCtx {
        config,
        out: &mut out,
        group: &group,
        node_id: &node_id,
        connected: true,
    };
    let message_type = if device.is_some() {
        MessageType::DData
    } else {
        MessageType::NData
    };
    let taken = if direct {
        ctx.direct_data(&mut node, t(20), device, message_type, bytes)
    } else {
        ctx.decode_and_handle(&mut node, t(20), device, message_type, bytes);
        true
    };
    let outcome = Outcome {
        events: out.events.into_iter().collect(),
        transmits: out.transmits.into_iter().collect(),
        node_metrics: node.metrics().cloned().collect(),
        device_metrics: node.device(&d()).unwrap().metrics().cloned().collect(),
        expected_seq: node.expected_seq().map(|s| s.value()),
    };
    (taken, outcome)
}

/// Asserts that `bytes` takes the direct path and comes out as the general path has it.
#[track_caller]
fn same_both_ways(config: &HostConfig, device: Option<&str>, bytes: &[u8]) -> Outcome {
    let (taken, direct) = run(config, device, bytes, true);
    assert!(taken, "the direct path takes it");
    let (_, general) = run(config, device, bytes, false);
    assert_eq!(direct, general);
    direct
}

fn ts() -> u64 {
    T0 + 20
}

fn quality(q: Quality) -> PropertySet {
    PropertySet::new().with(crate::property::QUALITY, PropertyValue::new(q.code()))
}

/// tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-metric-datatype-not-req,
/// tck-id-payloads-name-requirement, tck-id-payloads-name-birth-data-requirement,
/// tck-id-topics-nbirth-metric-reqs, tck-id-topics-dbirth-metric-reqs,
/// tck-id-payloads-metric-datatype-value: every data rule and resolve failure is reported by
/// the direct path exactly as by the general one, and the live values agree.
#[test]
fn the_direct_path_agrees_with_the_general_one() {
    let config = config();
    let cases: Vec<(&str, Vec<Metric>)> = vec![
        (
            "plain",
            vec![
                Metric::aliased(1, 21.5).with_timestamp(ts()),
                Metric::aliased(2, Value::Int8(-3)).with_timestamp(ts()),
            ],
        ),
        (
            "unknown alias",
            vec![
                Metric::aliased(99, 1.0).with_timestamp(ts()),
                Metric::aliased(1, 2.0).with_timestamp(ts()),
            ],
        ),
        (
            "name and alias, and a name alone",
            vec![
                Metric::new("Temp", 3.0).with_alias(1).with_timestamp(ts()),
                Metric::new("Label", "b").with_timestamp(ts()),
                Metric::new("Label", "c")
                    .without_datatype()
                    .with_timestamp(ts()),
            ],
        ),
        (
            "name of another alias",
            vec![Metric::new("Label", 3.0).with_alias(1).with_timestamp(ts())],
        ),
        (
            "declared datatype, right and wrong",
            vec![
                Metric::new("x", 4.0).with_alias(1).with_timestamp(ts()),
                Metric {
                    name: None,
                    ..Metric::new("x", 4.0f32).with_alias(1).with_timestamp(ts())
                },
            ],
        ),
        (
            "quality property",
            vec![
                Metric::aliased(1, 5.0)
                    .with_timestamp(ts())
                    .with_properties(quality(Quality::Bad)),
                Metric::aliased(2, Value::Int8(1))
                    .with_timestamp(ts())
                    .with_properties(PropertySet::new().with("odd", PropertyValue::new(1i64))),
            ],
        ),
        (
            "null, historical, transient",
            vec![
                Metric {
                    alias: Some(1),
                    is_null: true,
                    timestamp: Some(ts()),
                    ..Metric::default()
                },
                Metric::aliased(2, Value::Int8(9))
                    .with_timestamp(ts())
                    .historical(),
                Metric::aliased(2, Value::Int8(8))
                    .with_timestamp(ts())
                    .transient(),
            ],
        ),
        (
            "null with a value, no timestamp, no address",
            vec![
                Metric {
                    is_null: true,
                    ..Metric::aliased(1, 6.0).with_timestamp(ts())
                },
                Metric::aliased(1, 7.0),
                Metric {
                    timestamp: Some(ts()),
                    value: Some(Value::Double(1.0)),
                    ..Metric::default()
                },
            ],
        ),
        (
            "a value that is not the birth's type",
            vec![
                Metric::aliased(1, "text").with_timestamp(ts()),
                Metric::aliased(1, true).with_timestamp(ts()),
                Metric::aliased(2, 5i64).with_timestamp(ts()),
            ],
        ),
        (
            "template and dataset values",
            vec![
                Metric::aliased(1, Template::instance("T", vec![])).with_timestamp(ts()),
                Metric::aliased(1, DataSet::new([("c", DataType::Int32)])).with_timestamp(ts()),
            ],
        ),
        ("no metrics", vec![]),
    ];
    for (what, metrics) in cases {
        let outcome = same_both_ways(&config, None, &data(2, ts(), metrics));
        assert_eq!(outcome.expected_seq, Some(3), "{what}");
    }
    // DDATA: a Level out of its UInt16 range does not resolve.
    let ddata = data(
        2,
        ts(),
        vec![
            Metric::aliased(10, 70_000u32).with_timestamp(ts()),
            Metric::aliased(11, true).with_timestamp(ts()),
            Metric::aliased(1, 1.0).with_timestamp(ts()),
        ],
    );
    let outcome = same_both_ways(&config, Some("D1"), &ddata);
    assert_eq!(
        outcome.device_metrics[1].value,
        Some(Value::Boolean(true)),
        "{outcome:?}"
    );
    assert!(
        outcome
            .events
            .iter()
            .any(|e| matches!(e, HostEvent::Violation { tck_id, .. } if *tck_id == "topics-dbirth-metric-reqs"))
    );
}

/// tck-id-topics-ndata-payload: a payload that does not decode is reported the same way, with
/// the same error, and changes nothing.
#[test]
fn malformed_payloads_are_reported_alike() {
    let good = data(2, ts(), vec![Metric::aliased(1, 8.0).with_timestamp(ts())]);
    let truncated = &good[..good.len() - 1];
    // metric 0 with its alias (field 2) as a length-delimited field
    let wrong_wire_type = [0x12, 0x03, 0x12, 0x01, 0x00, 0x18, 0x02];
    // metric 0: datatype UInt8 with int_value 300
    let out_of_range = [0x12, 0x06, 0x20, 0x05, 0x50, 0xac, 0x02, 0x18, 0x02];
    for bytes in [truncated, &wrong_wire_type[..], &out_of_range[..]] {
        let outcome = same_both_ways(&config(), None, bytes);
        assert!(
            matches!(
                outcome.events[..],
                [
                    HostEvent::Violation {
                        tck_id: "topics-ndata-payload",
                        ..
                    },
                    HostEvent::RebirthRequested { .. }
                ]
            ),
            "{outcome:?}"
        );
        assert_eq!(outcome.expected_seq, Some(2), "nothing moved");
    }
    // Too many elements for the decoder's budget.
    let tight = config().with_decode_options(DecodeOptions::default().with_max_elements(5));
    let six = data(
        2,
        ts(),
        vec![Metric::aliased(1, 1.0).with_timestamp(ts()); 6],
    );
    let outcome = same_both_ways(&tight, None, &six);
    assert_eq!(outcome.expected_seq, Some(2));
    assert!(
        matches!(&outcome.events[0], HostEvent::Violation { detail, .. } if detail.contains("elements")),
        "{outcome:?}"
    );
}

/// What the direct path leaves to the general one: a seq that is not next, no seq, no
/// timestamp, a compressed payload, a device that is not online, a node awaiting its birth.
#[test]
fn the_direct_path_declines_what_needs_the_general_one() {
    let config = config();
    let declined = |device: Option<&str>, bytes: &[u8]| {
        let (taken, outcome) = run(&config, device, bytes, true);
        assert!(!taken);
        assert!(outcome.events.is_empty() && outcome.transmits.is_empty());
    };
    let m = || vec![Metric::aliased(1, 1.0).with_timestamp(ts())];
    declined(None, &data(3, ts(), m()));
    let mut no_seq = Payload::new(ts());
    no_seq.metrics = m();
    declined(None, &no_seq.encode_to_vec().unwrap());
    let mut no_timestamp = Payload::default().with_seq(2);
    no_timestamp.metrics = m();
    declined(None, &no_timestamp.encode_to_vec().unwrap());
    let compressed = Payload {
        uuid: Some(crate::compression::COMPRESSED_UUID.to_owned()),
        ..Payload::new(ts()).with_seq(2)
    };
    declined(None, &compressed.encode_to_vec().unwrap());
    declined(Some("D9"), &data(2, ts(), m()));

    let mut node = born_node(&config);
    node.go(Presence::AwaitingRebirth, t(19));
    let mut out = Outbox::default();
    let (group, node_id) = (g(), e());
    let mut ctx = NodeCtx {
        config: &config,
        out: &mut out,
        group: &group,
        node_id: &node_id,
        connected: true,
    };
    assert!(!ctx.direct_data(
        &mut node,
        t(20),
        None,
        MessageType::NData,
        &data(2, ts(), m())
    ));
    assert!(!ctx.direct_data(
        &mut node,
        t(20),
        None,
        MessageType::NBirth,
        &nbirth(0, 3, ts())
    ));
}

/// tck-id-operational-behavior-host-reordering-success: an in-order message taken the direct
/// way delivers the held messages that follow it.
#[test]
fn the_direct_path_releases_what_was_held() {
    let mut host = born(config());
    let m = |v: f64| vec![Metric::aliased(1, v).with_timestamp(ts())];
    host.handle_publish(t(20), NDATA, &data(3, ts(), m(3.0)));
    host.handle_publish(t(21), NDATA, &data(4, ts(), m(4.0)));
    drain(&mut host);
    host.handle_publish(t(22), NDATA, &data(2, ts(), m(2.0)));
    let events = events(&mut host);
    let seqs: Vec<_> = metric_events(&events).iter().map(|e| (e.1, e.2)).collect();
    assert_eq!(seqs, [(Some(2), false), (Some(3), false), (Some(4), false)]);
    assert_eq!(host.poll_timeout(), None, "the reorder timer is cancelled");
    let temp = host.metric(&g(), &e(), None, "Temp").unwrap();
    assert_eq!(temp.value, Some(Value::Double(4.0)));
}

mod generated {
    use proptest::prelude::*;

    use super::*;

    /// A data metric built from a few choices: address, datatype, timestamp, flags, value.
    fn metric() -> impl Strategy<Value = Metric> {
        let value = prop_oneof![
            Just(None),
            any::<f64>().prop_map(|x| Some(Value::Double(x))),
            any::<f32>().prop_map(|x| Some(Value::Float(x))),
            any::<u32>().prop_map(|x| Some(Value::UInt32(x))),
            any::<u64>().prop_map(|x| Some(Value::UInt64(x))),
            any::<bool>().prop_map(|x| Some(Value::Boolean(x))),
            "[a-z]{0,3}".prop_map(|s| Some(Value::String(s))),
        ];
        let name = prop_oneof![
            Just(None),
            Just(Some("Temp")),
            Just(Some("Label")),
            Just(Some("x"))
        ];
        let datatype = prop_oneof![
            Just(None),
            Just(Some(DataType::Double)),
            Just(Some(DataType::Int8)),
            Just(Some(DataType::UInt16)),
        ];
        (
            (name, proptest::option::of(0u64..13), datatype),
            (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
            (value, proptest::option::of(0u8..3)),
        )
            .prop_map(
                |(
                    (name, alias, datatype),
                    (timestamp, null, historical, transient),
                    (value, q),
                )| {
                    Metric {
                        name: name.map(str::to_owned),
                        alias,
                        timestamp: timestamp.then_some(ts()),
                        datatype,
                        is_historical: historical,
                        is_transient: transient,
                        is_null: null,
                        metadata: None,
                        properties: q.map(|q| {
                            quality([Quality::Good, Quality::Bad, Quality::Stale][usize::from(q)])
                        }),
                        value,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever the metrics, and whatever a damaged byte makes of them, a message the
        /// direct path takes comes out as the general path has it.
        #[test]
        fn the_direct_path_agrees_on_generated_messages(
            metrics in proptest::collection::vec(metric(), 0..6),
            device in any::<bool>(),
            damage in proptest::option::of((any::<prop::sample::Index>(), any::<u8>())),
            cut in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let mut payload = Payload::new(ts()).with_seq(2);
            payload.metrics = metrics;
            let Ok(mut bytes) = payload.encode_to_vec() else {
                return Ok(());
            };
            if let (Some((at, byte)), false) = (damage, bytes.is_empty()) {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            if let (Some(at), false) = (cut, bytes.is_empty()) {
                bytes.truncate(at.index(bytes.len()));
            }
            let config = config();
            let device = device.then_some("D1");
            let (taken, direct) = run(&config, device, &bytes, true);
            if taken {
                let (_, general) = run(&config, device, &bytes, false);
                prop_assert_eq!(direct, general);
            } else {
                prop_assert!(direct.events.is_empty() && direct.transmits.is_empty());
            }
        }
    }
}
