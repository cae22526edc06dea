//! Property tests: every datatype survives encode → decode, in birth form (with datatype) and in
//! data form (alias only, resolved through the birth). The strategies are shared with the
//! prost agreement tests.

use proptest::collection::vec;
use proptest::prelude::*;
use sparkplug_b::{
    AliasTable, DataSet, DataType, MetaData, Metric, Parameter, Payload, PropertySet,
    PropertyValue, Template, Value,
};

fn f32_not_nan() -> impl Strategy<Value = f32> {
    any::<f32>().prop_filter("NaN != NaN", |v| !v.is_nan())
}

fn f64_not_nan() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("NaN != NaN", |v| !v.is_nan())
}

/// Text without NUL, which StringArray cannot carry.
fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,12}"
}

/// BooleanArray lengths around the byte boundaries, and random ones.
fn bool_array() -> impl Strategy<Value = Vec<bool>> {
    prop_oneof![
        prop::sample::select(vec![0usize, 1, 7, 8, 9, 16, 17])
            .prop_flat_map(|n| vec(any::<bool>(), n)),
        vec(any::<bool>(), 0..200),
    ]
}

/// A value of one of the basic types 1..=14 (DataSet columns, parameters, properties).
pub(crate) fn arb_basic(datatype: DataType) -> BoxedStrategy<Value> {
    match datatype {
        DataType::Int8 => any::<i8>().prop_map(Value::Int8).boxed(),
        DataType::Int16 => any::<i16>().prop_map(Value::Int16).boxed(),
        DataType::Int32 => any::<i32>().prop_map(Value::Int32).boxed(),
        DataType::Int64 => any::<i64>().prop_map(Value::Int64).boxed(),
        DataType::UInt8 => any::<u8>().prop_map(Value::UInt8).boxed(),
        DataType::UInt16 => any::<u16>().prop_map(Value::UInt16).boxed(),
        DataType::UInt32 => any::<u32>().prop_map(Value::UInt32).boxed(),
        DataType::UInt64 => any::<u64>().prop_map(Value::UInt64).boxed(),
        DataType::Float => f32_not_nan().prop_map(Value::Float).boxed(),
        DataType::Double => f64_not_nan().prop_map(Value::Double).boxed(),
        DataType::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        DataType::String => text().prop_map(Value::String).boxed(),
        DataType::DateTime => any::<u64>().prop_map(Value::DateTime).boxed(),
        _ => text().prop_map(Value::Text).boxed(),
    }
}

fn basic_type() -> impl Strategy<Value = DataType> {
    (1u32..=14).prop_map(DataType::from_code)
}

fn any_basic() -> BoxedStrategy<Value> {
    basic_type().prop_flat_map(arb_basic).boxed()
}

fn arb_dataset() -> impl Strategy<Value = DataSet> {
    vec((text(), basic_type()), 0..5).prop_flat_map(|columns| {
        let row = columns
            .iter()
            .map(|&(_, t)| prop::option::weighted(0.9, arb_basic(t)))
            .collect::<Vec<_>>();
        vec(row, 0..4).prop_map(move |rows| DataSet {
            rows,
            ..DataSet::new(columns.clone())
        })
    })
}

fn arb_property_set(depth: u32) -> BoxedStrategy<PropertySet> {
    let leaf = prop_oneof![
        any_basic().prop_map(PropertyValue::new),
        basic_type().prop_map(PropertyValue::null),
    ];
    let value = if depth == 0 {
        leaf.boxed()
    } else {
        prop_oneof![
            4 => leaf,
            1 => arb_property_set(depth - 1).prop_map(|s| PropertyValue::new(Value::PropertySet(Box::new(s)))),
            1 => vec(arb_property_set(depth - 1), 0..3).prop_map(|l| PropertyValue::new(Value::PropertySetList(l))),
        ]
        .boxed()
    };
    vec((text(), value), 0..4)
        .prop_map(|pairs| {
            pairs
                .into_iter()
                .fold(PropertySet::new(), |s, (k, v)| s.with_unique(k, v))
        })
        .boxed()
}

/// `PropertySet::with` replaces a repeated key; keep generated sets exactly as generated.
trait WithUnique {
    fn with_unique(self, key: String, value: PropertyValue) -> Self;
}

impl WithUnique for PropertySet {
    fn with_unique(mut self, key: String, value: PropertyValue) -> Self {
        self.keys.push(key);
        self.values.push(value);
        self
    }
}

fn arb_template(depth: u32) -> BoxedStrategy<Template> {
    let members = vec(arb_metric(depth), 0..4);
    let parameters = vec(
        (text(), any_basic()).prop_map(|(n, v)| Parameter::new(n, v)),
        0..3,
    );
    (members, parameters, any::<bool>(), prop::option::of(text()))
        .prop_map(|(mut metrics, parameters, definition, version)| {
            // Members are addressed by name in data messages, so a template's member names are
            // unique (with two members of one name, resolution by name is ambiguous).
            for (i, m) in metrics.iter_mut().enumerate() {
                m.name = Some(format!("{}#{i}", m.name.as_deref().unwrap_or_default()));
            }
            let mut t = if definition {
                Template::definition(metrics)
            } else {
                Template::instance("_types_/Motor", metrics)
            };
            t.parameters = parameters;
            t.version = version;
            t
        })
        .boxed()
}

/// A value of any metric data type. `depth` bounds template nesting.
pub(crate) fn arb_value(depth: u32) -> BoxedStrategy<Value> {
    let flat = prop_oneof![
        any_basic(),
        text().prop_map(Value::Uuid),
        vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        vec(any::<u8>(), 0..40).prop_map(Value::File),
        vec(any::<i8>(), 0..20).prop_map(Value::Int8Array),
        vec(any::<i16>(), 0..20).prop_map(Value::Int16Array),
        vec(any::<i32>(), 0..20).prop_map(Value::Int32Array),
        vec(any::<i64>(), 0..20).prop_map(Value::Int64Array),
        vec(any::<u8>(), 0..20).prop_map(Value::UInt8Array),
        vec(any::<u16>(), 0..20).prop_map(Value::UInt16Array),
        vec(any::<u32>(), 0..20).prop_map(Value::UInt32Array),
        vec(any::<u64>(), 0..20).prop_map(Value::UInt64Array),
        vec(f32_not_nan(), 0..20).prop_map(Value::FloatArray),
        vec(f64_not_nan(), 0..20).prop_map(Value::DoubleArray),
        bool_array().prop_map(Value::BooleanArray),
        vec(text(), 0..6).prop_map(Value::StringArray),
        vec(any::<u64>(), 0..20).prop_map(Value::DateTimeArray),
        arb_dataset().prop_map(Value::from),
    ];
    if depth == 0 {
        flat.boxed()
    } else {
        prop_oneof![8 => flat, 1 => arb_template(depth - 1).prop_map(Value::from)].boxed()
    }
}

fn arb_metadata() -> impl Strategy<Value = MetaData> {
    (
        prop::option::of(any::<bool>()),
        prop::option::of(text()),
        prop::option::of(any::<u64>()),
        prop::option::of(any::<u64>()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
    )
        .prop_map(
            |(is_multi_part, content_type, size, seq, file_name, file_type, md5, description)| {
                MetaData {
                    is_multi_part,
                    content_type,
                    size,
                    seq,
                    file_name,
                    file_type,
                    md5,
                    description,
                }
            },
        )
}

/// A metric in birth form: with datatype, and a value or `is_null`.
pub(crate) fn arb_metric(depth: u32) -> BoxedStrategy<Metric> {
    let value = prop_oneof![
        9 => arb_value(depth).prop_map(Some),
        1 => Just(None),
    ];
    (
        text(),
        prop::option::of(any::<u64>()),
        prop::option::of(any::<u64>()),
        value,
        any::<(bool, bool)>(),
        prop::option::weighted(0.2, arb_metadata()),
        prop::option::weighted(0.3, arb_property_set(1)),
    )
        .prop_map(
            |(name, alias, timestamp, value, (historical, transient), metadata, properties)| {
                let mut m = match value {
                    Some(v) => Metric::new(name, v),
                    None => Metric::null(name, DataType::Double),
                };
                m.alias = alias;
                m.timestamp = timestamp;
                m.is_historical = historical;
                m.is_transient = transient;
                m.metadata = metadata.map(Box::new);
                m.properties = properties;
                m
            },
        )
        .boxed()
}

/// A payload of birth-form metrics with any top-level fields.
pub(crate) fn arb_payload() -> impl Strategy<Value = Payload> {
    (
        prop::option::of(any::<u64>()),
        vec(arb_metric(2), 0..6),
        prop::option::of(any::<u64>()),
        prop::option::of(text()),
        prop::option::of(vec(any::<u8>(), 0..16)),
    )
        .prop_map(|(timestamp, metrics, seq, uuid, body)| Payload {
            timestamp,
            metrics,
            seq,
            uuid,
            body,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every data type, in birth form, decodes to what was encoded.
    #[test]
    fn payloads_round_trip(payload in arb_payload()) {
        let bytes = payload.encode_to_vec().unwrap();
        prop_assert_eq!(Payload::decode(&bytes).unwrap(), payload);
    }

    /// Every data type, in data form (alias only, no datatype: tck-id-payloads-alias-data-cmd-requirement,
    /// tck-id-payloads-metric-datatype-not-req), resolves through its birth to the value sent.
    #[test]
    fn data_form_resolves_through_the_birth(value in arb_value(1), alias in any::<u64>()) {
        // A template definition is a type, not a metric data can address (AliasTable::from_birth).
        prop_assume!(!matches!(&value, Value::Template(t) if t.is_definition == Some(true)));
        let birth = Payload::new(1).with_seq(0).with_metric(Metric::new("m", value.clone()).with_alias(alias));
        let table = AliasTable::from_birth(&birth).unwrap();
        let data = Payload::new(2).with_seq(1).with_metric(Metric::aliased(alias, value.clone()));
        let mut decoded = Payload::decode(&data.encode_to_vec().unwrap()).unwrap();
        prop_assert_eq!(decoded.metrics[0].datatype, None);
        table.resolve(&mut decoded.metrics[0]).unwrap();
        prop_assert_eq!(decoded.metrics[0].value.as_ref(), Some(&value));
        prop_assert_eq!(decoded.metrics[0].name.as_deref(), Some("m"));
    }

    /// NaN and the infinities keep their bits (compared as bytes, since NaN != NaN).
    #[test]
    fn float_bits_survive(bits32 in any::<u32>(), bits64 in any::<u64>()) {
        let p = Payload::new(1)
            .with_metric(Metric::new("f", f32::from_bits(bits32)))
            .with_metric(Metric::new("d", f64::from_bits(bits64)));
        let bytes = p.encode_to_vec().unwrap();
        let back = Payload::decode(&bytes).unwrap();
        let (Some(Value::Float(f)), Some(Value::Double(d))) = (&back.metrics[0].value, &back.metrics[1].value) else {
            panic!("typed floats");
        };
        prop_assert_eq!(f.to_bits(), bits32);
        prop_assert_eq!(d.to_bits(), bits64);
    }
}
