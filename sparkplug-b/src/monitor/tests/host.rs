//! Hosts (STATE), commands, topics, bounds and the report.

use super::*;

const STATE: &str = "spBv1.0/STATE/scada";
const NBIRTH: &str = "spBv1.0/G/NBIRTH/E";
const NCMD: &str = "spBv1.0/G/NCMD/E";

fn state(h: &mut Harness, json: &str, qos: u8, retain: bool) {
    h.raw(STATE, json.as_bytes(), qos, retain);
}

/// tck-id-host-topic-phid-birth-payload: the JSON form with an integer timestamp.
#[test]
fn host_topic_phid_birth_payload() {
    let mut h = Harness::new();
    state(&mut h, r#"{"online":true,"timestamp":1.7e12}"#, 1, false);
    state(&mut h, "ONLINE", 1, false);
    state(
        &mut h,
        r#"{"online":true,"timestamp":1700000000000}"#,
        1,
        false,
    );
    let findings = h.findings();
    let ids: Vec<_> = findings.iter().map(|f| f.tck_id).collect();
    assert_eq!(ids, ["host-topic-phid-birth-payload"; 2]);
    assert!(matches!(&findings[0].subject, Subject::Host { id } if id.as_str() == "scada"));
    assert_eq!(h.monitor.report().hosts[0].status, Status::Online);
}

/// tck-id-host-topic-phid-birth-payload: one host's birth timestamps (CONNECT times) never go
/// back; a death older than the birth is a stale Will (an observation).
#[test]
fn host_birth_timestamps_never_go_back() {
    let mut h = Harness::new();
    state(&mut h, r#"{"online":true,"timestamp":2000}"#, 1, false);
    state(&mut h, r#"{"online":false,"timestamp":1000}"#, 1, false);
    let findings = h.findings();
    assert_eq!(
        (findings[0].tck_id, findings[0].severity),
        (
            "operational-behavior-edge-node-termination-host-offline-timestamp",
            Severity::Info
        )
    );
    assert_eq!(h.monitor.report().hosts[0].status, Status::Online);
    state(&mut h, r#"{"online":false,"timestamp":2000}"#, 1, false);
    state(&mut h, r#"{"online":true,"timestamp":1500}"#, 1, false);
    assert_eq!(h.ids(), ["host-topic-phid-birth-payload"]);
}

/// tck-id-host-topic-phid-birth-qos, tck-id-host-topic-phid-death-qos: STATE delivered at QoS 0
/// to a QoS 1 subscription was published at QoS 0; to a QoS 0 subscription it proves nothing.
#[test]
fn host_topic_phid_state_qos() {
    let mut h = Harness::new();
    state(&mut h, r#"{"online":true,"timestamp":1}"#, 0, false);
    state(&mut h, r#"{"online":false,"timestamp":1}"#, 2, false);
    assert_eq!(
        h.ids(),
        ["host-topic-phid-birth-qos", "host-topic-phid-death-qos"]
    );
    let mut h = Harness::with(MonitorConfig::default().with_subscription_qos(0));
    state(&mut h, r#"{"online":true,"timestamp":1}"#, 0, false);
    assert_eq!(h.ids(), Vec::<&str>::new());
}

/// A retained delivery proves the retain flag; a later replay changes nothing.
#[test]
fn retained_state_proves_retain() {
    let mut h = Harness::new();
    state(&mut h, r#"{"online":true,"timestamp":5}"#, 1, false);
    assert!(!h.monitor.report().hosts[0].retain_observed);
    state(&mut h, r#"{"online":true,"timestamp":3}"#, 1, true);
    let host = &h.monitor.report().hosts[0];
    assert!(host.retain_observed);
    assert_eq!(host.birth_timestamp, Some(5));
    assert_eq!(h.ids(), Vec::<&str>::new());
}

/// tck-id-payloads-ncmd-seq, tck-id-payloads-dcmd-seq, tck-id-payloads-ncmd-timestamp,
/// tck-id-payloads-ncmd-qos: commands carry no seq and a timestamp, at QoS 0.
#[test]
fn payloads_cmd_seq_and_timestamp() {
    let mut h = Harness::new();
    let write = Metric::new("Temp", 1.0).without_datatype();
    h.send(
        NCMD,
        &Payload::new(T0).with_seq(3).with_metric(write.clone()),
    );
    h.send("spBv1.0/G/DCMD/E/D", &Payload::new(T0).with_seq(3));
    h.send_with(NCMD, &Payload::default().with_metric(write), 1, false);
    assert_eq!(
        h.ids(),
        [
            "payloads-ncmd-seq",
            "payloads-dcmd-seq",
            "payloads-ncmd-qos",
            "payloads-ncmd-timestamp"
        ]
    );
    // Command faults are the sender's, not the edge node's.
    let node = h.node();
    assert!(node.tally.violations.is_empty());
    assert_eq!(node.tally.command_violations["payloads-ncmd-seq"], 1);
}

/// tck-id-operational-behavior-data-commands-ncmd-rebirth-value: rebirth requests are counted,
/// and must carry true; tck-id-operational-behavior-data-commands-ncmd-metric-value and
/// tck-id-operational-behavior-data-commands-ncmd-metric-name (SHOULD) against the birth.
#[test]
fn commands_are_checked_against_the_birth() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    let rebirth = |v: bool| Metric::new(NODE_CONTROL_REBIRTH, v).without_datatype();
    h.send(NCMD, &Payload::new(T0).with_metric(rebirth(true)));
    h.send(NCMD, &Payload::new(T0).with_metric(rebirth(false)));
    h.send(
        NCMD,
        &Payload::new(T0).with_metric(Metric::aliased(1, "hot")),
    );
    h.send(
        NCMD,
        &Payload::new(T0).with_metric(Metric::new("Nope", 1.0).without_datatype()),
    );
    let findings = h.findings();
    let found: Vec<_> = findings.iter().map(|f| (f.tck_id, f.severity)).collect();
    assert_eq!(
        found,
        [
            (
                "operational-behavior-data-commands-ncmd-rebirth-name",
                Severity::Info
            ),
            (
                "operational-behavior-data-commands-ncmd-rebirth-value",
                Severity::Must
            ),
            (
                "operational-behavior-data-commands-ncmd-metric-value",
                Severity::Must
            ),
            (
                "operational-behavior-data-commands-ncmd-metric-name",
                Severity::Should
            ),
        ]
    );
    assert_eq!(h.node().rebirth_requests, 1);
}

/// tck-id-topic-structure, tck-id-topic-structure-namespace-device-id-associated-message-types,
/// tck-id-topic-structure-namespace-valid-device-id, tck-id-topic-structure-namespace-a:
/// unparsable topics under the namespace; others are ignored.
#[test]
fn topic_structure() {
    let mut h = Harness::new();
    let p = nbirth(0);
    h.send("spBv1.0/G/NBIRTH", &p);
    h.send("spBv1.0/G/DBIRTH/E", &p);
    h.send("spBv1.0/G/DBIRTH/E/D+1", &p);
    h.send("spBv1.0/G/NFOO/E", &p);
    h.send("spAv1.0/G/NBIRTH/E", &p);
    h.send("spBv1.0x/G/NBIRTH/E", &p);
    h.send("plant/telemetry", &p);
    assert_eq!(
        h.ids(),
        [
            "topic-structure",
            "topic-structure-namespace-device-id-associated-message-types",
            "topic-structure-namespace-valid-device-id",
            "topic-structure",
            "topic-structure-namespace-a"
        ]
    );
    let report = h.monitor.report();
    assert_eq!(
        (report.messages, report.ignored, report.topics.messages),
        (7, 2, 5)
    );
    assert!(report.edge_nodes.is_empty());
}

/// tck-id-intro-group-id-chars, tck-id-intro-edge-node-id-chars, tck-id-intro-device-id-chars:
/// ids with control characters, noncharacters or too many bytes are findings, not edge nodes.
#[test]
fn ids_mqtt_does_not_allow() {
    let mut h = Harness::new();
    let p = nbirth(0);
    h.send("spBv1.0/a\u{1}b/NBIRTH/E", &p);
    h.send("spBv1.0/G/NBIRTH/E\u{85}", &p);
    h.send("spBv1.0/G/DBIRTH/E/D\u{ffff}", &p);
    let long = format!(
        "spBv1.0/G/NBIRTH/{}",
        "e".repeat(crate::topic::MAX_ID_BYTES + 1)
    );
    h.send(&long, &p);
    assert_eq!(
        h.ids(),
        [
            "intro-group-id-chars",
            "intro-edge-node-id-chars",
            "intro-device-id-chars",
            "intro-edge-node-id-chars"
        ]
    );
    assert!(h.monitor.report().edge_nodes.is_empty());
}

/// tck-id-case-sensitivity-sparkplug-ids (SHOULD): ids that differ only in case.
#[test]
fn case_sensitivity_sparkplug_ids() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    h.send("spBv1.0/g/NBIRTH/X", &nbirth(0));
    h.send("spBv1.0/G/NBIRTH/e", &nbirth(0));
    h.send("spBv1.0/G/DBIRTH/E/Pump", &dbirth(1, 10));
    h.send("spBv1.0/G/DBIRTH/E/PUMP", &dbirth(2, 11));
    state(&mut h, r#"{"online":true,"timestamp":1}"#, 1, false);
    h.raw(
        "spBv1.0/STATE/SCADA",
        br#"{"online":true,"timestamp":1}"#,
        1,
        false,
    );
    let findings = h.findings();
    assert_eq!(findings.len(), 4, "{findings:#?}");
    assert!(
        findings
            .iter()
            .all(|f| f.tck_id == "case-sensitivity-sparkplug-ids")
    );
    assert!(findings.iter().all(|f| f.severity == Severity::Should));
}

/// Memory stays bounded: the least recently seen node is dropped, and said so.
#[test]
fn tracking_is_bounded() {
    let config = MonitorConfig::default()
        .with_max_edge_nodes(2)
        .with_max_devices_per_node(1)
        .with_max_pending_findings(2);
    let mut h = Harness::with(config);
    for node in ["A", "B", "C"] {
        h.send(&format!("spBv1.0/G/NBIRTH/{node}"), &nbirth(0));
    }
    h.send("spBv1.0/G/DBIRTH/C/D1", &dbirth(1, 10));
    h.send("spBv1.0/G/DBIRTH/C/D2", &dbirth(2, 11));
    let report = h.monitor.report();
    let nodes: Vec<_> = report.edge_nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(nodes, ["B", "C"]);
    assert_eq!(report.edge_nodes[1].devices.len(), 1);
    assert_eq!(
        (report.evicted, report.findings, report.dropped_findings),
        (2, 2, 0)
    );
    let findings = h.findings();
    assert!(findings.iter().all(|f| f.tck_id == CAPACITY));
    assert!(findings[0].to_string().ends_with("(monitor-capacity)"));
    for _ in 0..3 {
        h.raw("spBv1.0/x", b"", 0, false);
    }
    assert_eq!(h.findings().len(), 2);
    assert_eq!(h.monitor.report().dropped_findings, 1);
}

/// The report, for humans and (with `serde`) as JSON.
#[test]
fn report_display_and_json() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    h.send("spBv1.0/G/NDATA/E", &data(5, []));
    state(&mut h, r#"{"online":true,"timestamp":1}"#, 1, false);
    let finding = h.findings().remove(0);
    assert_eq!(
        finding.to_string(),
        "1700000000020ms MUST edge node G/E: NDATA seq 5 after 0, expected 1 \
         (tck-id-payloads-ndata-seq-inc)"
    );
    let text = h.monitor.report().to_string();
    assert!(
        text.contains("edge node G/E: ONLINE, bdSeq 0, seq 5, 2 messages"),
        "{text}"
    );
    assert!(
        text.contains("violations: payloads-ndata-seq-inc x1"),
        "{text}"
    );
    assert!(
        text.contains("host scada: ONLINE, birth timestamp 1"),
        "{text}"
    );
    #[cfg(feature = "serde")]
    {
        let json = serde_json::to_value(&finding).unwrap();
        assert_eq!(json["subject"]["kind"], "edge_node");
        assert_eq!(json["at"], 1_700_000_000_020u64);
        assert_eq!(
            (json["severity"].as_str(), json["message_type"].as_str()),
            (Some("must"), Some("NDATA"))
        );
        let json = serde_json::to_value(h.monitor.report()).unwrap();
        assert_eq!(
            json["edge_nodes"][0]["tally"]["violations"]["payloads-ndata-seq-inc"],
            1
        );
        assert_eq!(json["hosts"][0]["status"], "online");
    }
}

proptest::proptest! {
    /// Never panics, whatever arrives.
    #[test]
    fn never_panics(
        messages in proptest::collection::vec(
            ("spBv1\\.0/[GS/]{0,3}(NBIRTH|NDATA|DBIRTH|DDATA|NDEATH|DDEATH|NCMD|DCMD|STATE)?/[EDx/]{0,4}",
             proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0u8..3, proptest::bool::ANY),
            0..40,
        )
    ) {
        let mut h = Harness::with(MonitorConfig::default().with_max_edge_nodes(2).with_max_pending_findings(5));
        for (topic, payload, qos, retain) in &messages {
            h.raw(topic, payload, *qos, *retain);
            let _ = h.monitor.report().to_string();
        }
        let _ = h.findings();
    }
}
