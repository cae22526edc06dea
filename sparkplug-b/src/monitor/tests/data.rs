//! Data checked against births: aliases, datatypes, timestamps, templates.

use super::*;
use crate::{Template, Value};

const NBIRTH: &str = "spBv1.0/G/NBIRTH/E";
const NDATA: &str = "spBv1.0/G/NDATA/E";
const DBIRTH: &str = "spBv1.0/G/DBIRTH/E/D";
const DDATA: &str = "spBv1.0/G/DDATA/E/D";

/// tck-id-topics-nbirth-metric-reqs, tck-id-topics-dbirth-metric-reqs: data may only carry
/// aliases and names its birth declared.
#[test]
fn topics_metric_reqs_undeclared_aliases() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    h.send(DBIRTH, &dbirth(1, 10));
    h.send(NDATA, &data(2, [aliased(1, 2.0, T0), aliased(7, 2.0, T0)]));
    h.send(DDATA, &data(3, [aliased(1, 2.0, T0)])); // the node's alias, not the device's
    let findings = h.findings();
    let found: Vec<_> = findings
        .iter()
        .map(|f| (f.tck_id, f.detail.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "topics-nbirth-metric-reqs",
                "NDATA metrics[1]: alias 7 is not in the birth"
            ),
            (
                "topics-dbirth-metric-reqs",
                "DDATA metrics[0]: alias 1 is not in the birth"
            ),
        ]
    );
}

/// tck-id-topics-nbirth-metric-reqs: a value that does not fit the birth's datatype (resolved
/// through the alias table; Int8 travels as a uint32).
#[test]
fn datatype_mismatch_against_the_birth() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    h.send(NDATA, &data(1, [aliased(2, Value::Int8(-1), T0)]));
    assert_eq!(h.ids(), Vec::<&str>::new());
    h.send(
        NDATA,
        &data(2, [aliased(2, "text", T0), aliased(1, true, T0)]),
    );
    assert_eq!(
        h.ids(),
        ["topics-nbirth-metric-reqs", "topics-nbirth-metric-reqs"]
    );
}

/// tck-id-payloads-alias-uniqueness: a DBIRTH may not reuse an alias of the node or of another
/// device of the session; a device born again may keep its own.
#[test]
fn payloads_alias_uniqueness_across_node_and_devices() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    h.send(DBIRTH, &dbirth(1, 10));
    h.send(DBIRTH, &dbirth(2, 10)); // the same device again
    h.send("spBv1.0/G/DBIRTH/E/D2", &dbirth(3, 10));
    h.send("spBv1.0/G/DBIRTH/E/D3", &dbirth(4, 2));
    let findings = h.findings();
    let found: Vec<_> = findings
        .iter()
        .map(|f| (f.tck_id, f.detail.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "payloads-alias-uniqueness",
                "DBIRTH alias 10 is already used by device D"
            ),
            (
                "payloads-alias-uniqueness",
                "DBIRTH alias 2 is already used by the node"
            ),
        ]
    );
    // A new NBIRTH starts over.
    h.send(NBIRTH, &nbirth(0));
    h.send("spBv1.0/G/DBIRTH/E/D2", &dbirth(1, 10));
    assert_eq!(h.ids(), Vec::<&str>::new());
}

/// tck-id-operational-behavior-data-publish-nbirth-order and
/// tck-id-operational-behavior-data-publish-dbirth-order (SHOULD): live
/// timestamps of one metric do not go back; historical values are exempt.
#[test]
fn operational_behavior_data_publish_order() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0));
    h.send(DBIRTH, &dbirth(1, 10));
    h.send(
        NDATA,
        &data(2, [aliased(1, 2.0, T0 + 5), aliased(1, 3.0, T0 + 6)]),
    );
    h.send(NDATA, &data(3, [aliased(1, 1.0, T0 + 1).historical()]));
    assert_eq!(h.ids(), Vec::<&str>::new());
    h.send(NDATA, &data(4, [aliased(1, 4.0, T0 + 4)]));
    h.send(DDATA, &data(5, [aliased(10, 4.0, T0 - 1)]));
    let findings = h.findings();
    let found: Vec<_> = findings.iter().map(|f| (f.tck_id, f.severity)).collect();
    assert_eq!(
        found,
        [
            (
                "operational-behavior-data-publish-nbirth-order",
                Severity::Should
            ),
            (
                "operational-behavior-data-publish-dbirth-order",
                Severity::Should
            ),
        ]
    );
}

fn motor_definition() -> Metric {
    let def = Template::definition(vec![Metric::new("Rpm", 0.0)]);
    Metric::new("Motor", def).with_timestamp(T0)
}

fn motor(template_ref: &str) -> Metric {
    let instance = Template::instance(template_ref, vec![Metric::new("Rpm", 1.0)]);
    Metric::new("M1", instance).with_timestamp(T0)
}

/// tck-id-payloads-template-definition-nbirth-only: a definition in DBIRTH (the validator's
/// rule, seen through the monitor).
#[test]
fn payloads_template_definition_nbirth_only() {
    let mut h = Harness::new();
    h.send(NBIRTH, &nbirth(0).with_metric(motor_definition()));
    h.send(DBIRTH, &dbirth(1, 10).with_metric(motor_definition()));
    assert_eq!(h.ids(), ["payloads-template-definition-nbirth-only"]);
}

/// tck-id-topics-nbirth-templates: every instance, in NBIRTH, DBIRTH or data, refers to a
/// definition of the session's NBIRTH.
#[test]
fn topics_nbirth_templates() {
    let mut h = Harness::new();
    h.send(
        NBIRTH,
        &nbirth(0)
            .with_metric(motor_definition())
            .with_metric(motor("Motor")),
    );
    h.send(DBIRTH, &dbirth(1, 10).with_metric(motor("Motor")));
    assert_eq!(h.ids(), Vec::<&str>::new());
    h.send(DBIRTH, &dbirth(2, 10).with_metric(motor("Pump")));
    let findings = h.findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].tck_id, "topics-nbirth-templates");
    assert_eq!(
        findings[0].detail,
        "DBIRTH metric \"M1\" is an instance of template \"Pump\", which the NBIRTH does not define"
    );
}

/// Memory stays bounded: a birth larger than `max_metrics_per_birth` is graded but not kept.
#[test]
fn oversized_births_are_not_kept() {
    let mut h = Harness::with(MonitorConfig::default().with_max_metrics_per_birth(3));
    h.send(NBIRTH, &nbirth(0));
    h.send(NDATA, &data(1, [aliased(9, 1.0, T0)]));
    let findings = h.findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(
        (findings[0].tck_id, findings[0].severity),
        (CAPACITY, Severity::Info)
    );
}
