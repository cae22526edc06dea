//! The payload rules of templates, DataSets, property sets and metric fields (SPARKPLUG.md
//! 3.4-3.7), one test per TCK assertion id not checked by name elsewhere, each through the
//! public API: encoding, decoding, `validate` and the template catalogue.

use sparkplug_b::session::{EdgeNode, EdgeNodeConfig, MetricSpec, Timestamp, Transmit};
use sparkplug_b::topic::{EdgeNodeId, GroupId, MessageType};
use sparkplug_b::validate::{Rule, validate};
use sparkplug_b::{
    DataSet, DataType, Metric, Parameter, Payload, PropertySet, PropertyValue, Template,
    TemplateCatalog, TemplateDefinitionError, TemplateInstanceError, Value,
};

fn nbirth_with(metric: Metric) -> Payload {
    Payload::new(1)
        .with_seq(0)
        .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(1))
        .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(1))
        .with_metric(metric.with_timestamp(1))
}

fn rules(t: MessageType, p: &Payload) -> Vec<Rule> {
    validate(t, p).map_or_else(
        |e| e.violations.into_iter().map(|v| v.rule).collect(),
        |()| vec![],
    )
}

/// Decodes what the encoder wrote.
fn wire(p: &Payload) -> Payload {
    Payload::decode(&p.encode_to_vec().expect("encodes")).expect("decodes")
}

/// tck-id-payloads-dataset-column-num-headers, tck-id-payloads-dataset-types-num: as many
/// types as column names, checked either way round.
#[test]
fn tck_id_payloads_dataset_column_num_headers_and_types_num() {
    let mut more_types = DataSet::new([("a", DataType::Int32)]);
    more_types.types.push(DataType::Double);
    let mut more_columns = DataSet::new([("a", DataType::Int32)]);
    more_columns.columns.push("b".into());
    more_columns.num_of_columns = 2;
    for ds in [more_types, more_columns] {
        let p = nbirth_with(Metric::new("ds", ds));
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::DataSetTypesCount]);
    }
    assert_eq!(
        Rule::DataSetTypesCount.tck_id(),
        "payloads-dataset-column-num-headers"
    );
}

/// tck-id-payloads-dataset-parameter-type-req: a DataSet with columns always carries their
/// types; one whose `types` are missing on the wire is a violation.
#[test]
fn tck_id_payloads_dataset_parameter_type_req() {
    let mut untyped = DataSet::new([("a", DataType::Int32), ("b", DataType::String)]);
    untyped.types.clear();
    let decoded = wire(&nbirth_with(Metric::new("ds", untyped)));
    let Some(Value::DataSet(ds)) = &decoded.metrics[2].value else {
        panic!()
    };
    assert!(ds.types.is_empty());
    assert_eq!(
        rules(MessageType::NBirth, &decoded),
        [Rule::DataSetTypesCount]
    );
}

/// tck-id-payloads-dataset-types-def, tck-id-payloads-dataset-types-type: `types` is a
/// repeated uint32, written unpacked as Tahu Java and protoc do (`18 03 18 0c`), and read
/// packed too.
#[test]
fn tck_id_payloads_dataset_types_def_and_types_type() {
    let ds = DataSet::new([("a", DataType::Int32), ("b", DataType::String)]).with_row(vec![
        Some(Value::Int32(-1)),
        Some(Value::String("x".into())),
    ]);
    let bytes = Payload::default()
        .with_metric(Metric::new("ds", ds.clone()))
        .encode_to_vec()
        .unwrap();
    // SPARKPLUG.md 3.8's DataSet vector.
    let golden: &[u8] = &[
        0x12, 0x24, 0x0a, 0x02, 0x64, 0x73, 0x20, 0x10, 0x8a, 0x01, 0x1b, 0x08, 0x02, 0x12, 0x01,
        0x61, 0x12, 0x01, 0x62, 0x18, 0x03, 0x18, 0x0c, 0x22, 0x0d, 0x0a, 0x06, 0x08, 0xff, 0xff,
        0xff, 0xff, 0x0f, 0x0a, 0x03, 0x32, 0x01, 0x78,
    ];
    assert_eq!(bytes, golden);
    // The same types packed: `1a 02 03 0c` instead of `18 03 18 0c`.
    let mut packed = golden.to_vec();
    let at = packed
        .windows(4)
        .position(|w| w == [0x18, 0x03, 0x18, 0x0c])
        .unwrap();
    packed.splice(at..at + 4, [0x1a, 0x02, 0x03, 0x0c]);
    let decoded = Payload::decode(&packed).unwrap();
    assert_eq!(decoded.metrics[0].value, Some(Value::DataSet(Box::new(ds))));
}

/// tck-id-payloads-metric-datatype-value-type: the datatype is a uint32 on the wire; a code
/// the spec does not define decodes (kept as it is) and breaks
/// tck-id-payloads-metric-datatype-value.
#[test]
fn tck_id_payloads_metric_datatype_value_type() {
    // metric { name "m", datatype 99, int_value 1 }
    let bytes = [0x12, 0x07, 0x0a, 0x01, b'm', 0x20, 0x63, 0x50, 0x01];
    let p = Payload::decode(&bytes).unwrap();
    assert_eq!(p.metrics[0].datatype, Some(DataType::from_code(99)));
    assert_eq!(p.metrics[0].datatype.map(DataType::code), Some(99));
    let birth = nbirth_with(p.metrics[0].clone());
    assert_eq!(rules(MessageType::NBirth, &birth), [Rule::DatatypeInvalid]);
}

/// tck-id-payloads-metric-propertyvalue-type-type: a property value's type is a uint32; an
/// undefined code is kept and breaks tck-id-payloads-metric-propertyvalue-type-value.
#[test]
fn tck_id_payloads_metric_propertyvalue_type_type() {
    let props = PropertySet::new().with(
        "p",
        PropertyValue {
            datatype: Some(DataType::from_code(77)),
            ..PropertyValue::new(1i32)
        },
    );
    let p = wire(&nbirth_with(Metric::new("x", 1.0).with_properties(props)));
    let set = p.metrics[2].properties.as_ref().unwrap();
    assert_eq!(set.values[0].datatype.map(DataType::code), Some(77));
    assert_eq!(rules(MessageType::NBirth, &p), [Rule::PropertyType]);
}

/// tck-id-payloads-propertyset-values-array-size: more values than keys is a violation (the
/// other way round: tck-id-payloads-propertyset-keys-array-size).
#[test]
fn tck_id_payloads_propertyset_values_array_size() {
    let mut set = PropertySet::new().with("a", PropertyValue::new(1i32));
    set.values.push(PropertyValue::new(2i32));
    let p = wire(&nbirth_with(Metric::new("x", 1.0).with_properties(set)));
    assert_eq!(p.metrics[2].properties.as_ref().unwrap().values.len(), 2);
    assert_eq!(rules(MessageType::NBirth, &p), [Rule::PropertySetSize]);
}

/// tck-id-payloads-metric-timestamp-in-UTC: the edge node stamps every birth metric with the
/// time it is given, milliseconds since the Unix epoch (UTC).
#[test]
fn tck_id_payloads_metric_timestamp_in_utc() {
    let config = EdgeNodeConfig::new(GroupId::new("G").unwrap(), EdgeNodeId::new("E").unwrap());
    let mut node = EdgeNode::new(config, None);
    let now = Timestamp::from_millis(1_700_000_000_123);
    node.add_node_metric(now, MetricSpec::with_initial("t", 1.0))
        .unwrap();
    node.connect(now);
    node.handle_connected(now);
    let births: Vec<Payload> = std::iter::from_fn(|| node.poll_transmit())
        .filter_map(|t| match t {
            Transmit::Publish(p) => Payload::decode(&p.payload).ok(),
            _ => None,
        })
        .collect();
    assert!(
        births[0]
            .metrics
            .iter()
            .all(|m| m.timestamp == Some(1_700_000_000_123))
    );
}

/// tck-id-payloads-template-is-definition-instance: an instance has `is_definition = false`,
/// present on the wire; one without it is refused by the catalogue and by validation
/// (tck-id-payloads-template-is-definition).
#[test]
fn tck_id_payloads_template_is_definition_instance() {
    let instance = Template::instance("T", vec![]);
    let p = wire(&nbirth_with(Metric::new("i", instance)));
    let Some(Value::Template(t)) = &p.metrics[2].value else {
        panic!()
    };
    assert_eq!(t.is_definition, Some(false));
    let mut catalog = TemplateCatalog::new();
    catalog.define("T", Template::definition(vec![])).unwrap();
    let mut unflagged = (**t).clone();
    unflagged.is_definition = None;
    assert_eq!(
        catalog.check_instance(&unflagged, true),
        Err(TemplateInstanceError::NotAnInstance)
    );
}

/// tck-id-payloads-template-parameter-name-type: a parameter name is UTF-8; bytes that are not
/// are a decode error, not a panic or a lossy name.
#[test]
fn tck_id_payloads_template_parameter_name_type() {
    // metric { name "t", datatype 19, template { parameters { name FF, type 12, "x" }, is_definition true } }
    let bytes = [
        0x12, 0x14, 0x0a, 0x01, b't', 0x20, 0x13, 0x92, 0x01, 0x0c, 0x1a, 0x08, 0x0a, 0x01, 0xff,
        0x10, 0x0c, 0x42, 0x01, b'x', 0x28, 0x01,
    ];
    assert!(Payload::decode(&bytes).is_err());
    let mut good = bytes;
    good[14] = b'p';
    let p = Payload::decode(&good).unwrap();
    let Some(Value::Template(t)) = &p.metrics[0].value else {
        panic!()
    };
    assert_eq!(t.parameters[0].name.as_deref(), Some("p"));
}

/// tck-id-payloads-template-parameter-value-type: a parameter's type is a uint32; an undefined
/// code is kept and breaks tck-id-payloads-template-parameter-type-value; the catalogue refuses
/// it.
#[test]
fn tck_id_payloads_template_parameter_value_type() {
    let def = Template::definition(vec![]).with_parameter(Parameter {
        datatype: Some(DataType::from_code(88)),
        ..Parameter::new("p", 1i32)
    });
    let p = wire(&nbirth_with(Metric::new("T", def.clone())));
    let Some(Value::Template(t)) = &p.metrics[2].value else {
        panic!()
    };
    assert_eq!(t.parameters[0].datatype.map(DataType::code), Some(88));
    assert_eq!(
        rules(MessageType::NBirth, &p),
        [Rule::TemplateParameterType]
    );
    assert!(matches!(
        TemplateCatalog::new().define("T", def),
        Err(TemplateDefinitionError::ParameterType { .. })
    ));
}

/// tck-id-payloads-template-ref-definition: a definition has no `template_ref`.
#[test]
fn tck_id_payloads_template_ref_definition() {
    let mut def = Template::definition(vec![]);
    assert_eq!(def.template_ref, None);
    def.template_ref = Some("X".into());
    let p = nbirth_with(Metric::new("T", def.clone()));
    assert_eq!(
        rules(MessageType::NBirth, &p),
        [Rule::TemplateDefinitionRef]
    );
    assert!(matches!(
        TemplateCatalog::new().define("T", def),
        Err(TemplateDefinitionError::HasTemplateRef(_))
    ));
}

/// tck-id-payloads-template-ref-instance: an instance's `template_ref` is the name of its
/// definition's metric; one without it, or naming no definition of the NBIRTH, is refused.
#[test]
fn tck_id_payloads_template_ref_instance() {
    let mut catalog = TemplateCatalog::new();
    catalog.define("T", Template::definition(vec![])).unwrap();
    let mut no_ref = Template::instance("T", vec![]);
    no_ref.template_ref = None;
    assert_eq!(
        catalog.check_instance(&no_ref, true),
        Err(TemplateInstanceError::NoTemplateRef)
    );
    let p = nbirth_with(Metric::new("i", no_ref));
    assert_eq!(rules(MessageType::NBirth, &p), [Rule::TemplateInstanceRef]);
    let other = Template::instance("_types_/T", vec![]);
    assert_eq!(
        catalog.check_instance(&other, true),
        Err(TemplateInstanceError::Undefined("_types_/T".into()))
    );
    catalog
        .check_instance(&Template::instance("T", vec![]), true)
        .unwrap();
}
