//! Edge node sessions: seq, bdSeq, ordering, MQTT flags, decoding.

use super::*;

const NBIRTH: &str = "spBv1.0/G/NBIRTH/E";
const NDATA: &str = "spBv1.0/G/NDATA/E";
const NDEATH: &str = "spBv1.0/G/NDEATH/E";
const DBIRTH: &str = "spBv1.0/G/DBIRTH/E/D";
const DDATA: &str = "spBv1.0/G/DDATA/E/D";
const DDEATH: &str = "spBv1.0/G/DDEATH/E/D";

/// tck-id-payloads-ndata-seq-inc, tck-id-payloads-dbirth-seq-inc, tck-id-payloads-ddata-seq-inc,
/// tck-id-payloads-ddeath-seq-inc: one counter for the node and its devices; one finding per gap.
#[test]
fn payloads_sequence_num_incrementing() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    h.send(DBIRTH, &dbirth(2, 10)); // 1 missing
    h.send(NDATA, &data(3, []));
    h.send(DDATA, &data(5, [])); // 4 missing
    h.send(NDATA, &data(6, []));
    h.send(DDEATH, &data(6, [])); // a repeat
    h.send(NDATA, &data(8, [])); // 7 missing
    let findings = h.findings();
    let ids: Vec<_> = findings.iter().map(|f| f.tck_id).collect();
    assert_eq!(
        ids,
        [
            "payloads-dbirth-seq-inc",
            "payloads-ddata-seq-inc",
            "payloads-ddeath-seq-inc",
            "payloads-ndata-seq-inc"
        ]
    );
    // The seq stream is the node's, whichever device published.
    assert!(matches!(findings[1].subject, Subject::EdgeNode { .. }));
    assert_eq!(findings[0].detail, "DBIRTH seq 2 after 0, expected 1");
    assert_eq!(h.node().tally.violations["payloads-ddata-seq-inc"], 1);
}

/// tck-id-payloads-sequence-num-incrementing: 255 is followed by 0, and NBIRTH resets the
/// counter (a rebirth restarts at 0).
#[test]
fn seq_wraps_from_255_to_0_and_nbirth_resets_it() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    for seq in (1..=255).chain(0..=3) {
        h.send(NDATA, &data(seq, []));
    }
    h.send(NBIRTH, &nbirth(0));
    h.send(NDATA, &data(1, []));
    assert_eq!(h.ids(), Vec::<&str>::new());
    assert_eq!(h.node().seq, Some(1));
    h.send(NDATA, &data(0, []));
    assert_eq!(h.ids(), ["payloads-ndata-seq-inc"]);
}

/// tck-id-topics-nbirth-seq-num: NBIRTH carries seq 0 (from the validator); the counter
/// resynchronises from the value it carries.
#[test]
fn topics_nbirth_seq_num() {
    let mut h = Harness::new();
    h.send(
        NBIRTH,
        &Payload {
            seq: Some(7),
            ..nbirth(0)
        },
    );
    h.send(NDATA, &data(8, []));
    assert_eq!(h.ids(), ["topics-nbirth-seq-num"]);
}

/// tck-id-topics-nbirth-bdseq-increment: a new session's bdSeq is the previous one's + 1,
/// 255 wrapping to 0, whether or not its NDEATH was seen; a rebirth keeps it.
#[test]
fn topics_nbirth_bdseq_increment() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(254));
    h.send(NBIRTH, &nbirth(254)); // rebirth
    h.send(NDEATH, &ndeath(254));
    h.send(NBIRTH, &nbirth(255));
    h.send(NBIRTH, &nbirth(0)); // new session, its NDEATH not seen
    assert_eq!(h.ids(), Vec::<&str>::new());
    h.send(NDEATH, &ndeath(0));
    h.send(NBIRTH, &nbirth(3));
    let findings = h.findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].tck_id, "topics-nbirth-bdseq-increment");
    assert_eq!(
        findings[0].detail,
        "NBIRTH of a new session has bdSeq 3; the previous session had 0, so 1 was expected"
    );
    // The first session seen has nothing to compare with.
    let mut fresh = Harness::new();
    fresh.send(NBIRTH, &nbirth(42));
    assert_eq!(fresh.ids(), Vec::<&str>::new());
}

/// tck-id-payloads-ndeath-bdseq: an NDEATH of another session is stale, an observation: the
/// node stays online. The explicit NDEATH followed by the Will is one death.
#[test]
fn payloads_ndeath_bdseq_stale_death_is_not_a_violation() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(5));
    h.send(NDEATH, &ndeath(3));
    let findings = h.findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(
        (findings[0].tck_id, findings[0].severity),
        ("payloads-ndeath-bdseq", Severity::Info)
    );
    assert_eq!(h.node().status, Status::Online);
    h.send(NDEATH, &ndeath(5));
    h.send(NDEATH, &ndeath(5));
    assert_eq!(h.ids(), Vec::<&str>::new());
    assert_eq!(h.node().status, Status::Offline);
    assert_eq!(h.node().tally.observations["payloads-ndeath-bdseq"], 1);
}

/// tck-id-payloads-dbirth-order, tck-id-payloads-ndata-order, tck-id-payloads-ddata-order:
/// after NDEATH nothing but a new NBIRTH may come.
#[test]
fn payloads_order_no_data_before_nbirth() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    h.send(NDEATH, &ndeath(0));
    h.send(DBIRTH, &dbirth(1, 10));
    h.send(NDATA, &data(2, []));
    h.send(DDATA, &data(3, []));
    assert_eq!(
        h.ids(),
        [
            "payloads-dbirth-order",
            "payloads-ndata-order",
            "payloads-ddata-order"
        ]
    );
    h.send(NBIRTH, &nbirth(1));
    h.send(NDATA, &data(1, []));
    assert_eq!(h.ids(), Vec::<&str>::new());
}

/// tck-id-payloads-ddata-order: DDATA of a device needs its DBIRTH in the session, and none
/// after its DDEATH.
#[test]
fn payloads_ddata_order_before_dbirth() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    h.send(DDATA, &data(1, []));
    assert_eq!(h.ids(), ["payloads-ddata-order"]);
    h.send(DBIRTH, &dbirth(2, 10));
    h.send(DDATA, &data(3, []));
    h.send(DDEATH, &data(4, []));
    h.send(DDATA, &data(5, []));
    let findings = h.findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].tck_id, "payloads-ddata-order");
    assert!(matches!(findings[0].subject, Subject::Device { .. }));
    // A rebirth: devices must be born again.
    h.send(NBIRTH, &nbirth(0));
    h.send(DDATA, &data(1, []));
    assert_eq!(h.ids(), ["payloads-ddata-order"]);
}

/// A monitor started during a session grades the seq stream from the first message and
/// nothing it cannot know: no order findings without the NBIRTH.
#[test]
fn a_monitor_started_mid_session_grades_only_what_it_saw() {
    let mut h = Harness::new();
    h.send(DDATA, &data(17, [aliased(10, 1.0, T0)]));
    h.send(NDATA, &data(18, [aliased(99, 1.0, T0)]));
    assert_eq!(h.ids(), Vec::<&str>::new());
    assert_eq!(h.node().status, Status::Unknown);
    h.send(NDATA, &data(20, []));
    assert_eq!(h.ids(), ["payloads-ndata-seq-inc"]);
}

/// tck-id-payloads-nbirth-qos, tck-id-payloads-ndata-retain, tck-id-topics-ddeath-mqtt: QoS
/// above 0 and retain as delivered. A retained copy is not tracked as live traffic.
#[test]
fn payloads_qos_and_retain_as_delivered() {
    let mut h = Harness::new();
    h.send_with(NBIRTH, &nbirth(0), 1, false);
    h.send_with(NDATA, &data(9, []), 0, true);
    h.send_with(DDEATH, &data(1, []), 1, false);
    assert_eq!(
        h.ids(),
        [
            "payloads-nbirth-qos",
            "payloads-ndata-retain",
            "topics-ddeath-mqtt"
        ]
    );
    // The NDEATH Will is QoS 1: no rule for what is delivered.
    h.send_with(NDEATH, &ndeath(0), 1, false);
    assert_eq!(h.ids(), Vec::<&str>::new());
}

/// tck-id-message-flow-edge-node-birth-publish-nbirth-payload, tck-id-topics-ndata-payload:
/// a payload that does not decode; the seq stream goes on as if it took its place.
#[test]
fn decode_errors_are_findings() {
    let mut h = Harness::new();
    h.raw(NBIRTH, &[0xff, 0xff], 0, false);
    h.raw(NDATA, &[0x0a], 0, false);
    h.send(NDATA, &data(2, []));
    assert_eq!(
        h.ids(),
        [
            "message-flow-edge-node-birth-publish-nbirth-payload",
            "topics-ndata-payload"
        ]
    );
    assert_eq!(h.node().status, Status::Online);
}

/// Validator rules keep their ids: tck-id-payloads-sequence-num-always-included,
/// tck-id-payloads-ndata-timestamp (the type's own id for a missing timestamp),
/// tck-id-payloads-metric-datatype-not-req (SHOULD).
#[test]
fn validate_violations_become_findings() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    let mut p = data(1, [Metric::new("Temp", 2.0).with_timestamp(T0)]);
    p.timestamp = None;
    p.seq = None;
    h.send(NDATA, &p);
    let findings = h.findings();
    let found: Vec<_> = findings.iter().map(|f| (f.tck_id, f.severity)).collect();
    assert_eq!(
        found,
        [
            ("payloads-sequence-num-always-included", Severity::Must),
            ("payloads-ndata-timestamp", Severity::Must),
            ("payloads-metric-datatype-not-req", Severity::Should),
        ]
    );
    // The missing seq took its place.
    h.send(NDATA, &data(2, []));
    assert_eq!(h.ids(), Vec::<&str>::new());
}

/// tck-id-payloads-timestamp-in-UTC, when a UTC window is configured.
#[test]
fn payloads_timestamp_in_utc_window() {
    let config =
        MonitorConfig::default().with_utc_window(Some(core::time::Duration::from_secs(60)));
    let mut h = Harness::with(config);
    h.send(NBIRTH, &nbirth(0));
    h.send(NDATA, &Payload::new(T0 / 1000).with_seq(1)); // seconds, not milliseconds
    assert_eq!(h.ids(), ["payloads-timestamp-in-UTC"]);
}

/// tck-id-payloads-metric-timestamp-in-UTC, when a UTC window is configured: metric
/// timestamps in microseconds are reported once per message; historical metrics may be of any
/// age.
#[test]
fn payloads_metric_timestamp_in_utc_window() {
    let config =
        MonitorConfig::default().with_utc_window(Some(core::time::Duration::from_secs(60)));
    let mut h = Harness::with(config.clone());
    h.send(NBIRTH, &nbirth(0));
    h.send(
        NDATA,
        &data(1, [aliased(1, 1.0, T0 * 1000), aliased(2, 2i8, T0 * 1000)]),
    );
    let findings = h.findings();
    let ids: Vec<_> = findings.iter().map(|f| f.tck_id).collect();
    assert_eq!(ids, ["payloads-metric-timestamp-in-UTC"]);
    assert!(
        findings[0].detail.contains("(1 more metrics off)"),
        "{}",
        findings[0].detail
    );
    let mut h = Harness::with(config);
    h.send(NBIRTH, &nbirth(0));
    let old = aliased(1, 1.0, T0 - 86_400_000).historical();
    h.send(NDATA, &data(1, [old, aliased(2, 3i8, T0 + 1)]));
    assert_eq!(h.ids(), Vec::<&str>::new());
}
