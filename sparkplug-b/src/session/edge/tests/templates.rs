//! Template definitions and instances: the registry of the edge node.

use super::*;
use crate::validate::validate_with_templates;
use crate::{Parameter, Template, TemplateCatalog, TemplateDefinitionError, TemplateInstanceError};

fn motor_definition() -> Template {
    Template::definition(vec![
        Metric::new("Speed", 0.0),
        Metric::new("Running", false),
    ])
    .with_parameter(Parameter::new("Rated", 1500u32))
    .with_version("3")
}

fn motor(speed: f64) -> Template {
    Template::instance(
        "Motor",
        vec![Metric::new("Speed", speed), Metric::new("Running", true)],
    )
}

/// A node with the Motor definition, an instance M1 on the node and M2 on device Line.
fn node_with_motors(config: EdgeNodeConfig) -> EdgeNode {
    let mut node = EdgeNode::new(config, None);
    node.define_template(t(0), "Motor", motor_definition())
        .unwrap();
    node.add_node_metric(t(0), MetricSpec::with_initial("M1", motor(1.0)))
        .unwrap();
    let overridden = motor(2.0).with_parameter(Parameter::new("Rated", 3000u32));
    node.add_device(
        t(0),
        dev("Line"),
        [MetricSpec::with_initial("M2", overridden)],
    )
    .unwrap();
    node
}

/// tck-id-payloads-template-definition-nbirth-only, tck-id-payloads-template-definition-nbirth,
/// tck-id-payloads-template-definition-is-definition, tck-id-payloads-template-definition-ref,
/// tck-id-payloads-template-definition-members, tck-id-payloads-template-definition-parameters,
/// tck-id-payloads-template-definition-parameters-default, tck-id-payloads-template-version,
/// tck-id-payloads-template-instance-ref, tck-id-payloads-template-instance-is-definition,
/// tck-id-payloads-template-instance-members-birth, tck-id-payloads-template-instance-parameters:
/// the definition goes in the NBIRTH alone, once, and every instance of the node and its
/// devices resolves against it.
#[test]
fn definitions_are_published_in_the_nbirth_only() {
    for aliases in [false, true] {
        let mut node = node_with_motors(config().with_aliases(aliases));
        let (_, sent) = connect(&mut node, t(1));
        assert_eq!(kinds(&sent), [MessageType::NBirth, MessageType::DBirth]);
        let nbirth = &sent[0].payload;
        let def = nbirth.metric("Motor").unwrap();
        assert_eq!((def.datatype, def.alias), (Some(DataType::Template), None));
        let Some(Value::Template(t)) = &def.value else {
            panic!("{def:?}")
        };
        assert_eq!(
            (
                t.is_definition,
                t.template_ref.as_deref(),
                t.version.as_deref()
            ),
            (Some(true), None, Some("3"))
        );
        assert_eq!(t.parameters[0].value, Some(Value::UInt32(1500)));
        let catalog = TemplateCatalog::from_birth(nbirth);
        assert_eq!(catalog.len(), 1);
        // Instances, node and device, are checked against the NBIRTH's definitions.
        validate_with_templates(MessageType::DBirth, &sent[1].payload, &catalog).unwrap();
        let m2 = sent[1].metric("M2").unwrap();
        let Some(Value::Template(m2)) = &m2.value else {
            panic!()
        };
        assert_eq!(m2.is_definition, Some(false));
        assert_eq!(catalog.parameters(m2)[0].value, Some(Value::UInt32(3000)));
        for s in &sent[1..] {
            assert!(
                !s.payload.metrics.iter().any(|m| matches!(
                    &m.value,
                    Some(Value::Template(t)) if t.is_definition == Some(true)
                )),
                "no definition outside the NBIRTH"
            );
        }
    }
}

/// tck-id-payloads-template-definition-nbirth-only: a definition is not a metric, of a device
/// or of the node; tck-id-payloads-template-definition-nbirth: an instance of a template never
/// defined is refused; tck-id-payloads-template-instance-members,
/// tck-id-payloads-template-instance-members-birth, tck-id-payloads-template-parameter-value:
/// members missing, unknown or mistyped, and parameters of the wrong type, are refused.
#[test]
fn instances_and_definitions_are_checked() {
    let mut node = node_with_motors(config());
    let refused = |node: &mut EdgeNode, value: Template| {
        node.add_device(t(0), dev("D"), [MetricSpec::with_initial("X", value)])
            .unwrap_err()
    };
    assert!(matches!(
        refused(&mut node, motor_definition()),
        AddDeviceError::Metric(MetricSpecError::TemplateDefinition(_))
    ));
    assert!(matches!(
        node.add_node_metric(t(0), MetricSpec::with_initial("Def", motor_definition())),
        Err(MetricSpecError::TemplateDefinition(_))
    ));
    let instance_error = |e: AddDeviceError| match e {
        AddDeviceError::Metric(MetricSpecError::TemplateInstance { source, .. }) => source,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        instance_error(refused(&mut node, Template::instance("Pump", vec![]))),
        TemplateInstanceError::Undefined("Pump".into())
    );
    assert!(matches!(
        instance_error(refused(
            &mut node,
            Template::instance("Motor", vec![Metric::new("Speed", 1.0)])
        )),
        TemplateInstanceError::MissingMember { .. }
    ));
    let mut extra = motor(1.0);
    extra.metrics.push(Metric::new("Torque", 1.0));
    assert!(matches!(
        instance_error(refused(&mut node, extra)),
        TemplateInstanceError::UnknownMember { .. }
    ));
    let mistyped = Template::instance(
        "Motor",
        vec![Metric::new("Speed", 1i32), Metric::new("Running", true)],
    );
    assert!(matches!(
        instance_error(refused(&mut node, mistyped)),
        TemplateInstanceError::MemberType {
            expected: DataType::Double,
            found: DataType::Int32,
            ..
        }
    ));
    assert!(matches!(
        instance_error(refused(
            &mut node,
            motor(1.0).with_parameter(Parameter::new("Rated", "fast"))
        )),
        TemplateInstanceError::ParameterType { .. }
    ));
    assert!(matches!(
        node.add_node_metric(t(0), MetricSpec::new("Empty", DataType::Template)),
        Err(MetricSpecError::TemplateWithoutInstance(_))
    ));
    // Setting a value: the same checks, and the template stays the one born.
    assert!(matches!(
        node.set_metric(t(1), None, "M1", Template::instance("Motor", vec![])),
        Err(SetMetricError::TemplateInstance { .. })
    ));
    node.define_template(t(0), "Pump", Template::definition(vec![]))
        .unwrap();
    assert!(matches!(
        node.set_metric(t(1), None, "M1", Template::instance("Pump", vec![])),
        Err(SetMetricError::TemplateChanged { .. })
    ));
    node.set_metric(t(1), None, "M1", motor(5.0)).unwrap();
}

/// tck-id-payloads-template-parameter-type-value, tck-id-payloads-template-parameter-value,
/// tck-id-payloads-template-parameter-name-required, tck-id-payloads-template-definition-ref,
/// tck-id-payloads-template-definition-is-definition: bad definitions are refused, and so are
/// names taken by a metric, even by case (tck-id-case-sensitivity-metric-names).
#[test]
fn definitions_are_checked() {
    let mut node = node_with_motors(config());
    let define = |node: &mut EdgeNode, name: &str, t: Template| {
        node.define_template(super::t(0), name, t).unwrap_err()
    };
    let definition_error = |e: DefineTemplateError| match e {
        DefineTemplateError::Definition(d) => d,
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        definition_error(define(&mut node, "Motor", motor_definition())),
        TemplateDefinitionError::Duplicate(_)
    ));
    assert!(matches!(
        definition_error(define(&mut node, "I", motor(1.0))),
        TemplateDefinitionError::NotADefinition(_)
    ));
    let mut with_ref = motor_definition();
    with_ref.template_ref = Some("X".into());
    assert!(matches!(
        definition_error(define(&mut node, "R", with_ref)),
        TemplateDefinitionError::HasTemplateRef(_)
    ));
    let bytes_param = Template::definition(vec![]).with_parameter(Parameter::new("b", vec![1u8]));
    assert!(matches!(
        definition_error(define(&mut node, "B", bytes_param)),
        TemplateDefinitionError::ParameterType { .. }
    ));
    let valueless = Template::definition(vec![]).with_parameter(Parameter {
        value: None,
        ..Parameter::new("p", 1i32)
    });
    assert!(matches!(
        definition_error(define(&mut node, "V", valueless)),
        TemplateDefinitionError::ParameterValue { .. }
    ));
    let unnamed = Template::definition(vec![]).with_parameter(Parameter {
        name: None,
        ..Parameter::new("p", 1i32)
    });
    assert!(matches!(
        definition_error(define(&mut node, "U", unnamed)),
        TemplateDefinitionError::UnnamedParameter { .. }
    ));
    // A nested member must be an instance of a template defined before.
    let line = |inner: &str| {
        Template::definition(vec![Metric::new(
            "Drive",
            Template::instance(
                inner,
                vec![Metric::new("Speed", 0.0), Metric::new("Running", false)],
            ),
        )])
    };
    assert!(matches!(
        definition_error(define(&mut node, "Line", line("Pump"))),
        TemplateDefinitionError::NestedMember { .. }
    ));
    node.define_template(t(0), "Line", line("Motor")).unwrap();
    assert!(matches!(
        define(&mut node, "m1", Template::definition(vec![])),
        DefineTemplateError::NameTaken { .. }
    ));
    assert!(matches!(
        define(&mut node, "BDSEQ", Template::definition(vec![])),
        DefineTemplateError::NameTaken { .. }
    ));
    assert!(matches!(
        node.add_node_metric(t(0), MetricSpec::with_initial("motor", 1.0)),
        Err(MetricSpecError::NameDiffersOnlyByCase { .. })
    ));
}

/// tck-id-case-sensitivity-metric-names: metric names of one birth that differ only by case
/// are refused, on the node and on a device.
#[test]
fn names_differing_only_by_case_are_refused() {
    let mut node = node(config());
    assert!(matches!(
        node.add_node_metric(t(0), MetricSpec::with_initial("TEMP", 1.0)),
        Err(MetricSpecError::NameDiffersOnlyByCase { .. })
    ));
    assert!(matches!(
        node.add_node_metric(t(0), MetricSpec::with_initial("node control/rebirth", true)),
        Err(MetricSpecError::ReservedName(_))
    ));
    assert!(matches!(
        node.add_device(
            t(0),
            dev("D"),
            [
                MetricSpec::with_initial("a", 1.0),
                MetricSpec::with_initial("A", 1.0)
            ]
        ),
        Err(AddDeviceError::Metric(
            MetricSpecError::NameDiffersOnlyByCase { .. }
        ))
    ));
    // Devices are births of their own: the same name as a node metric is fine.
    node.add_device(t(0), dev("D"), [MetricSpec::with_initial("temp", 1.0)])
        .unwrap();
}

/// A definition added while online publishes a new birth sequence carrying it.
#[test]
fn a_definition_added_online_rebirths() {
    let mut node = node_with_motors(config());
    connect(&mut node, t(1));
    node.define_template(
        t(2),
        "Pump",
        Template::definition(vec![Metric::new("Flow", 0.0)]),
    )
    .unwrap();
    let sent = publishes(&mut node);
    assert_eq!(kinds(&sent), [MessageType::NBirth, MessageType::DBirth]);
    assert!(sent[0].metric("Pump").is_some() && sent[0].metric("Motor").is_some());
}

/// tck-id-payloads-template-instance-members-data, tck-id-principles-rbe-recommended: a change
/// to one member is published as the instance (by alias) with the changed members alone, each
/// member with its own deadband counted from its last reported value.
#[test]
fn member_changes_are_published_as_the_instance_with_the_changed_members() {
    let mut node = EdgeNode::new(config().with_aliases(true), None);
    node.define_template(t(0), "Motor", motor_definition())
        .unwrap();
    node.add_node_metric(
        t(0),
        MetricSpec::with_initial("M1", motor(1.0)).with_member_deadband("Speed", 0.5),
    )
    .unwrap();
    let (_, sent) = connect(&mut node, t(1));
    let alias = sent[0].metric("M1").unwrap().alias;
    assert!(alias.is_some());
    node.set_metric(t(2), None, "M1/Speed", 1.4).unwrap(); // within the deadband
    node.flush(t(3));
    assert!(publishes(&mut node).is_empty());
    node.set_metric(t(4), None, "M1/Running", false).unwrap();
    node.flush(t(5));
    let sent = publishes(&mut node);
    assert_eq!(kinds(&sent), [MessageType::NData]);
    let m = &sent[0].payload.metrics[0];
    assert_eq!(
        (m.alias, m.name.as_deref(), m.datatype),
        (alias, None, None)
    );
    let Some(Value::Template(inst)) = &m.value else {
        panic!("{m:?}")
    };
    assert_eq!(inst.template_ref.as_deref(), Some("Motor"));
    assert_eq!(inst.is_definition, Some(false));
    assert_eq!(inst.metrics.len(), 1);
    assert_eq!(inst.metrics[0].name.as_deref(), Some("Running"));
    assert_eq!(inst.metrics[0].value, Some(Value::Boolean(false)));
    // The 1.4 was never reported: 1.6 is 0.6 from the reported 1.0.
    node.set_metric(t(6), None, "M1/Speed", 1.6).unwrap();
    node.flush(t(7));
    let sent = publishes(&mut node);
    let Some(Value::Template(inst)) = &sent[0].payload.metrics[0].value else {
        panic!()
    };
    assert_eq!(inst.metrics[0].value, Some(Value::Double(1.6)));
    assert_eq!(
        node.metric_value(None, "M1/Speed"),
        Some(&Value::Double(1.6))
    );
    // The data message is valid against the NBIRTH's definitions.
    let nbirth = node_with_motors(config());
    let catalog = nbirth.templates().clone();
    crate::validate::validate_with_templates(MessageType::NData, &sent[0].payload, &catalog)
        .unwrap();
    // Members are typed as defined; unknown members are unknown metrics.
    assert!(matches!(
        node.set_metric(t(8), None, "M1/Speed", 3i32),
        Err(SetMetricError::TypeMismatch {
            expected: DataType::Double,
            ..
        })
    ));
    assert!(matches!(
        node.set_metric(t(8), None, "M1/Torque", 3.0),
        Err(SetMetricError::UnknownMetric { .. })
    ));
    // A member deadband needs a numeric member of the instance.
    assert!(matches!(
        node.add_node_metric(
            t(0),
            MetricSpec::with_initial("M2", motor(1.0)).with_member_deadband("Running", 1.0)
        ),
        Err(MetricSpecError::InvalidDeadband { .. })
    ));
}

/// tck-id-operational-behavior-data-commands-ncmd-metric-value: an NCMD writing template
/// members is delivered as one command per member, by path and typed by the birth; a member
/// of the wrong type or one the definition lacks is rejected.
#[test]
fn member_writes_are_typed_commands() {
    let mut node = node_with_motors(config().with_aliases(true));
    let (_, sent) = connect(&mut node, t(1));
    let alias = sent[0].metric("M1").unwrap().alias.unwrap();
    events(&mut node);
    let write = |members: Vec<Metric>| {
        command(vec![Metric::aliased(
            alias,
            Template::instance("Motor", members),
        )])
    };
    node.handle_publish(
        t(2),
        NCMD,
        &write(vec![Metric::new("Speed", 9.5).without_datatype()]),
    );
    assert_eq!(
        events(&mut node),
        [EdgeEvent::Command {
            device: None,
            name: "M1/Speed".into(),
            value: Value::Double(9.5)
        }]
    );
    node.handle_publish(
        t(3),
        NCMD,
        &write(vec![Metric::new("Speed", "fast").without_datatype()]),
    );
    assert!(matches!(
        &events(&mut node)[..],
        [EdgeEvent::CommandRejected {
            error: CommandError::Resolve(_),
            ..
        }]
    ));
    node.handle_publish(
        t(4),
        NCMD,
        &write(vec![Metric::new("Torque", 1.0).without_datatype()]),
    );
    assert!(matches!(
        &events(&mut node)[..],
        [EdgeEvent::CommandRejected { .. }]
    ));
    // The definition itself is not a metric a command can address.
    node.handle_publish(t(5), NCMD, &command(vec![Metric::new("Motor", motor(1.0))]));
    assert!(matches!(
        &events(&mut node)[..],
        [EdgeEvent::CommandRejected { .. }]
    ));
}
