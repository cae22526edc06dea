//! Template definitions and instances as the host sees them: the node's catalogue, instances
//! resolved against it, violations for what does not match.

use super::*;
use crate::{DataType, Parameter, Template};

fn motor_definition() -> Template {
    Template::definition(vec![
        Metric::new("Speed", 0.0),
        Metric::new("Running", false),
    ])
    .with_parameter(Parameter::new("Rated", 1500u32))
    .with_version("3")
}

fn motor(speed: f64, running: bool) -> Template {
    Template::instance(
        "Motor",
        vec![
            Metric::new("Speed", speed).with_alias(100),
            Metric::new("Running", running).with_alias(101),
        ],
    )
}

/// An NBIRTH the way Tahu's edge node sends one: the `Motor` definition, and an instance M1.
fn nbirth_with_motor(ts: u64, instance_ref: &str) -> Vec<u8> {
    let mut m1 = motor(812.5, true);
    m1.template_ref = Some(instance_ref.to_owned());
    Payload::new(ts)
        .with_seq(0)
        .with_metric(Metric::new("bdSeq", 1i64).with_timestamp(ts))
        .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(ts))
        .with_metric(Metric::new("Motor", motor_definition()).with_timestamp(ts))
        .with_metric(Metric::new("M1", m1).with_alias(1).with_timestamp(ts))
        .encode_to_vec()
        .unwrap()
}

fn violations(events: &[HostEvent]) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|e| match e {
            HostEvent::Violation { tck_id, .. } => Some(*tck_id),
            _ => None,
        })
        .collect()
}

/// tck-id-payloads-template-definition-nbirth-only, tck-id-payloads-template-instance-parameters,
/// tck-id-payloads-template-version: a definition is the node's template catalogue (with its
/// version and parameter defaults), not a metric: it is never a metric with values, and only
/// the instance M1 is one.
#[test]
fn definitions_are_the_catalogue_not_metrics() {
    let mut host = online(config());
    host.handle_publish(t(1), NBIRTH, &nbirth_with_motor(T0, "Motor"));
    let seen = events(&mut host);
    assert_eq!(violations(&seen), [] as [&str; 0]);
    let names = &metric_events(&seen)[0].3;
    assert_eq!(names, &["bdSeq", "Node Control/Rebirth", "M1"]);
    let catalogue = seen
        .iter()
        .find_map(|e| match e {
            HostEvent::NodeTemplates { templates, .. } => Some(templates.clone()),
            _ => None,
        })
        .expect("a NodeTemplates event");
    assert_eq!(
        catalogue.get("Motor").unwrap().version.as_deref(),
        Some("3")
    );
    let node = host.node(&g(), &e()).unwrap();
    assert!(node.metric("Motor").is_none());
    assert!(node.aliases().by_name("Motor").is_none());
    let m1 = node.metric("M1").unwrap();
    let Some(Value::Template(m1)) = &m1.value else {
        panic!("{m1:?}")
    };
    assert_eq!(
        node.templates().parameters(m1)[0].value,
        Some(Value::UInt32(1500))
    );
}

/// tck-id-payloads-template-definition-nbirth, tck-id-topics-nbirth-templates: an instance of a
/// template the NBIRTH does not define, in the NBIRTH or in a DBIRTH, is a violation event
/// (the rest of the birth still counts).
#[test]
fn instances_of_unknown_templates_are_violations() {
    let mut host = online(config());
    host.handle_publish(t(1), NBIRTH, &nbirth_with_motor(T0, "Pump"));
    let seen = events(&mut host);
    assert_eq!(violations(&seen), ["payloads-template-definition-nbirth"]);
    assert!(host.node(&g(), &e()).unwrap().metric("M1").is_some());

    host.handle_publish(t(2), NBIRTH, &nbirth_with_motor(T0, "Motor"));
    events(&mut host);
    let pump = Template::instance("Pump", vec![]);
    let partial = Template::instance("Motor", vec![Metric::new("Speed", 1.0)]);
    let dbirth = Payload::new(T0)
        .with_seq(1)
        .with_metric(Metric::new("P1", pump).with_alias(5).with_timestamp(T0))
        .with_metric(Metric::new("M2", partial).with_alias(6).with_timestamp(T0))
        .encode_to_vec()
        .unwrap();
    host.handle_publish(t(3), DBIRTH, &dbirth);
    let seen = events(&mut host);
    assert_eq!(
        violations(&seen),
        [
            "payloads-template-definition-nbirth",
            "payloads-template-instance-members-birth"
        ]
    );
}

/// tck-id-payloads-template-instance-members-data: NDATA carries the instance with the changed
/// member alone, the member by alias; the host resolves it (name, datatype, value) through
/// the birth and keeps it by path.
#[test]
fn members_in_data_resolve_by_alias() {
    let mut host = online(config());
    host.handle_publish(t(1), NBIRTH, &nbirth_with_motor(T0, "Motor"));
    events(&mut host);
    let change = Template::instance("Motor", vec![Metric::aliased(100, 900.0)]);
    let ndata = data(
        1,
        T0 + 5,
        vec![Metric::aliased(1, change).with_timestamp(T0 + 5)],
    );
    host.handle_publish(t(5), NDATA, &ndata);
    let seen = events(&mut host);
    assert_eq!(violations(&seen), [] as [&str; 0]);
    let HostEvent::Metrics { metrics, .. } = &seen[0] else {
        panic!("{seen:?}")
    };
    let Some(Value::Template(inst)) = metrics[0].value() else {
        panic!()
    };
    assert_eq!(inst.metrics[0].name.as_deref(), Some("Speed"));
    assert_eq!(inst.metrics[0].datatype, Some(DataType::Double));
    assert_eq!(inst.metrics[0].value, Some(Value::Double(900.0)));
    // An unknown member is a violation, not a panic.
    let wrong = Template::instance("Motor", vec![Metric::new("Torque", 1.0).without_datatype()]);
    let ndata = data(
        2,
        T0 + 6,
        vec![Metric::aliased(1, wrong).with_timestamp(T0 + 6)],
    );
    host.handle_publish(t(6), NDATA, &ndata);
    let seen = events(&mut host);
    assert!(
        violations(&seen).contains(&"payloads-template-instance-members"),
        "{seen:?}"
    );
}

/// tck-id-topics-ncmd-payload: a write to a template member by path is an NCMD carrying the
/// instance (by its alias) with that member alone, typed as the birth declared it; a value
/// that does not fit the member is refused.
#[test]
fn member_writes_by_path() {
    let mut host = online(config());
    host.handle_publish(t(1), NBIRTH, &nbirth_with_motor(T0, "Motor"));
    drain(&mut host);
    host.write_metric(t(2), &g(), &e(), None, "M1/Speed", 900.0)
        .unwrap();
    let sent = transmits(&mut host);
    let publish = publishes(&sent)[0];
    assert_eq!(publish.topic, "spBv1.0/G1/NCMD/E1");
    let payload = Payload::decode(&publish.payload).unwrap();
    let m = &payload.metrics[0];
    assert_eq!((m.alias, m.name.as_deref()), (Some(1), None));
    let Some(Value::Template(inst)) = &m.value else {
        panic!("{m:?}")
    };
    assert_eq!(inst.template_ref.as_deref(), Some("Motor"));
    assert_eq!(inst.metrics[0].name.as_deref(), Some("Speed"));
    assert_eq!(inst.metrics[0].value, Some(Value::Double(900.0)));
    assert!(matches!(
        host.write_metric(t(3), &g(), &e(), None, "M1/Speed", "fast"),
        Err(crate::session::host::CommandError::IncompatibleValue { .. })
    ));
    assert!(matches!(
        host.write_metric(t(3), &g(), &e(), None, "M1/Torque", 1.0),
        Err(crate::session::host::CommandError::UnknownMetric { .. })
    ));
}

/// The datatype a write takes: a metric's, or a template member's by path.
#[test]
fn writable_datatypes_of_members_by_path() {
    let mut host = online(config());
    host.handle_publish(t(1), NBIRTH, &nbirth_with_motor(T0, "Motor"));
    let dt = |name: &str| host.writable_datatype(&g(), &e(), None, name);
    assert_eq!(dt("M1/Speed"), Some(DataType::Double));
    assert_eq!(dt("M1/Running"), Some(DataType::Boolean));
    assert_eq!(dt("M1"), Some(DataType::Template));
    assert_eq!(dt("M1/Torque"), None);
    assert_eq!(dt("Motor"), None, "a definition is not writable");
}
