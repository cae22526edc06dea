//! The payloads an edge node publishes: NBIRTH, DBIRTH, NDEATH, DDEATH, NDATA and DDATA.
//!
//! Pure functions of the node's state; the state machine chooses topics, QoS and sequence
//! numbers.

use crate::session::{BdSeq, Seq, Timestamp};
use crate::validate::{BDSEQ, NODE_CONTROL_REBIRTH};
use crate::{DataType, Metric, Payload, TemplateCatalog, Value};

use super::metrics::{Change, MetricSet};

/// The `bdSeq` metric: Int64 in `long_value`, always named, never aliased
/// (`tck-id-message-flow-edge-node-birth-publish-will-message-payload-bdSeq`).
fn bd_seq_metric(bd_seq: BdSeq) -> Metric {
    Metric {
        name: Some(BDSEQ.to_owned()),
        datatype: Some(DataType::Int64),
        value: Some(Value::Int64(bd_seq.as_i64())),
        ..Metric::default()
    }
}

/// NDEATH, as the Will and as the clean-shutdown publish: exactly one metric, `bdSeq`, and no
/// `seq` (`tck-id-topics-ndeath-payload`, `tck-id-topics-ndeath-seq`).
pub(super) fn ndeath(now: Timestamp, bd_seq: BdSeq) -> Payload {
    Payload::new(now.as_millis()).with_metric(bd_seq_metric(bd_seq))
}

/// NBIRTH: seq 0, `bdSeq`, `Node Control/Rebirth` = false without an alias, the template
/// definitions of the node and its devices (`tck-id-payloads-template-definition-nbirth`), then
/// every node metric with name, alias, datatype, timestamp and value or `is_null`
/// (`tck-id-topics-nbirth-metrics`, `tck-id-topics-nbirth-rebirth-metric`).
pub(super) fn nbirth(
    now: Timestamp,
    bd_seq: BdSeq,
    templates: &TemplateCatalog,
    node: &MetricSet,
) -> Payload {
    let ts = now.as_millis();
    let mut payload = Payload::new(ts)
        .with_seq(Seq::ZERO.value())
        .with_metric(bd_seq_metric(bd_seq).with_timestamp(ts))
        .with_metric(Metric::new(NODE_CONTROL_REBIRTH, false).with_timestamp(ts));
    payload.metrics.extend(templates.birth_metrics(ts));
    payload
        .metrics
        .extend(node.iter().map(|e| e.birth_metric(now)));
    payload
}

/// DBIRTH: every device metric as in NBIRTH (`tck-id-topics-dbirth-metrics`).
pub(super) fn dbirth(now: Timestamp, seq: Seq, device: &MetricSet) -> Payload {
    let mut payload = Payload::new(now.as_millis()).with_seq(seq.value());
    payload
        .metrics
        .extend(device.iter().map(|e| e.birth_metric(now)));
    payload
}

/// DDEATH: a timestamp and a seq, no metrics (`tck-id-payloads-ddeath-seq`).
pub(super) fn ddeath(now: Timestamp, seq: Seq) -> Payload {
    Payload::new(now.as_millis()).with_seq(seq.value())
}

/// NDATA or DDATA with `changes`, live or historical (`tck-id-topics-ndata-payload`).
pub(super) fn data(now: Timestamp, seq: Seq, changes: &[Change], historical: bool) -> Payload {
    Payload {
        metrics: changes.iter().map(|c| c.data_metric(historical)).collect(),
        ..Payload::new(now.as_millis()).with_seq(seq.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EncodeOptions;
    use crate::session::edge::MetricSpec;
    use crate::topic::MessageType;
    use crate::validate::validate;

    const T: u64 = 1_700_000_000_000;

    fn now() -> Timestamp {
        Timestamp::from_millis(T)
    }

    fn node_metrics(aliases: bool) -> MetricSet {
        let mut set = MetricSet::default();
        let specs = [
            MetricSpec::with_initial("Brine/Temp", -8.5),
            MetricSpec::new("Mode", DataType::String),
            MetricSpec::with_initial("Count", 3u32),
        ];
        for (i, spec) in specs.into_iter().enumerate() {
            set.check(
                &spec,
                true,
                &TemplateCatalog::new(),
                &EncodeOptions::default(),
            )
            .unwrap();
            set.insert(spec, aliases.then_some(i as u64 + 1), now());
        }
        set
    }

    /// tck-id-payloads-ndeath-will-message, tck-id-topics-ndeath-payload,
    /// tck-id-topics-ndeath-seq: the spec's NDEATH vector after the payload timestamp.
    #[test]
    fn ndeath_matches_the_golden_vector() {
        let bytes = ndeath(now(), BdSeq::new(0)).encode_to_vec().unwrap();
        let golden = [
            0x12, 0x0b, 0x0a, 0x05, b'b', b'd', b'S', b'e', b'q', 0x20, 0x04, 0x58, 0x00,
        ];
        assert!(bytes.ends_with(&golden));
        let decoded = Payload::decode(&bytes).unwrap();
        assert_eq!(decoded.seq, None);
        assert_eq!(decoded.timestamp, Some(T));
        validate(MessageType::NDeath, &decoded).unwrap();
    }

    /// tck-id-topics-nbirth-seq-num, tck-id-payloads-nbirth-rebirth-req: the birth-like golden
    /// vector of SPARKPLUG.md 3.8, byte for byte.
    #[test]
    fn empty_nbirth_matches_the_golden_vector() {
        let bytes = nbirth(
            now(),
            BdSeq::new(0),
            &TemplateCatalog::new(),
            &MetricSet::default(),
        )
        .encode_to_vec()
        .unwrap();
        let golden: &[u8] = &[
            0x08, 0x80, 0xd0, 0x95, 0xff, 0xbc, 0x31, 0x12, 0x12, 0x0a, 0x05, 0x62, 0x64, 0x53,
            0x65, 0x71, 0x18, 0x80, 0xd0, 0x95, 0xff, 0xbc, 0x31, 0x20, 0x04, 0x58, 0x00, 0x12,
            0x21, 0x0a, 0x14, 0x4e, 0x6f, 0x64, 0x65, 0x20, 0x43, 0x6f, 0x6e, 0x74, 0x72, 0x6f,
            0x6c, 0x2f, 0x52, 0x65, 0x62, 0x69, 0x72, 0x74, 0x68, 0x18, 0x80, 0xd0, 0x95, 0xff,
            0xbc, 0x31, 0x20, 0x0b, 0x70, 0x00, 0x18, 0x00,
        ];
        assert_eq!(bytes, golden);
    }

    /// tck-id-topics-nbirth-metrics, tck-id-operational-behavior-data-publish-nbirth-values,
    /// tck-id-operational-behavior-data-commands-rebirth-name-aliases: births validate clean,
    /// with aliases and without.
    #[test]
    fn births_validate() {
        for aliases in [false, true] {
            let set = node_metrics(aliases);
            let birth = Payload::decode(
                &nbirth(now(), BdSeq::new(7), &TemplateCatalog::new(), &set)
                    .encode_to_vec()
                    .unwrap(),
            )
            .unwrap();
            validate(MessageType::NBirth, &birth).unwrap();
            assert_eq!(birth.metric(BDSEQ).unwrap().value, Some(Value::Int64(7)));
            assert_eq!(birth.metric(NODE_CONTROL_REBIRTH).unwrap().alias, None);
            let mode = birth.metric("Mode").unwrap();
            assert!(mode.is_null && mode.value.is_none());
            assert_eq!(mode.datatype, Some(DataType::String));
            assert_eq!(birth.metric("Count").unwrap().alias, aliases.then_some(3));
            let dbirth = dbirth(now(), Seq::new(1), &set);
            validate(MessageType::DBirth, &dbirth).unwrap();
            assert_eq!(dbirth.seq, Some(1));
        }
    }

    /// tck-id-payloads-ddeath-seq, tck-id-payloads-ndata-seq: DDEATH and data carry a seq.
    #[test]
    fn ddeath_and_data() {
        let d = ddeath(now(), Seq::new(4));
        assert_eq!((d.seq, d.metrics.len()), (Some(4), 0));
        validate(MessageType::DDeath, &d).unwrap();
        let change = Change {
            name: "x".into(),
            alias: Some(9),
            value: Some(Value::Int32(1)),
            timestamp: now(),
            quality: crate::Quality::Good,
            transient: false,
            metadata: None,
        };
        let nd = data(now(), Seq::new(255), &[change], true);
        validate(MessageType::NData, &nd).unwrap();
        assert_eq!(nd.seq, Some(255));
        assert!(nd.metrics[0].is_historical);
    }
}
