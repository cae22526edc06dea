//! Payloads encoded by other implementations (Eclipse Tahu JS `sparkplug-payload` 1.0.3 and
//! `sparkplug-client` 3.2.4) must decode to their JSON descriptions. The vectors and their
//! README are in `tests/data/vectors/`.

use std::path::{Path, PathBuf};

use prost::Message;
use serde_json::Value as Json;
use sparkplug_b::proto::payload::metric::Value as WireValue;
use sparkplug_b::{AliasTable, DecodeOptions, Payload, proto};

use crate::json_compare::contains;

fn vector_dir(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/vectors")
        .join(set)
}

fn descriptions(set: &str) -> Vec<(PathBuf, Json)> {
    let mut out: Vec<_> = std::fs::read_dir(vector_dir(set))
        .expect("vector directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let json =
                serde_json::from_slice(&std::fs::read(&p).expect("readable")).expect("valid JSON");
            (p, json)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn read_bin(json_path: &Path, file: &str) -> Vec<u8> {
    std::fs::read(json_path.with_file_name(file)).expect("vector bytes")
}

fn as_json(payload: &Payload) -> Json {
    serde_json::to_value(payload).expect("serializable")
}

/// The wire field and raw integer of every top-level metric, as prost sees them.
fn check_wire_fields(name: &str, bytes: &[u8], expected: &Json) {
    let wire = proto::Payload::decode(bytes).expect("prost decodes the vector");
    let metrics = expected["metrics"].as_array().expect("metrics");
    assert_eq!(wire.metrics.len(), metrics.len(), "{name}: metric count");
    for (i, (m, e)) in wire.metrics.iter().zip(metrics).enumerate() {
        let (field, raw) = match &m.value {
            None => (None, None),
            Some(WireValue::IntValue(v)) => (Some("int_value"), Some(u64::from(*v))),
            Some(WireValue::LongValue(v)) => (Some("long_value"), Some(*v)),
            Some(WireValue::FloatValue(_)) => (Some("float_value"), None),
            Some(WireValue::DoubleValue(_)) => (Some("double_value"), None),
            Some(WireValue::BooleanValue(_)) => (Some("boolean_value"), None),
            Some(WireValue::StringValue(_)) => (Some("string_value"), None),
            Some(WireValue::BytesValue(_)) => (Some("bytes_value"), None),
            Some(WireValue::DatasetValue(_)) => (Some("dataset_value"), None),
            Some(WireValue::TemplateValue(_)) => (Some("template_value"), None),
            Some(WireValue::ExtensionValue(_)) => (Some("extension_value"), None),
        };
        if let Some(want) = e.get("value_field") {
            assert_eq!(want.as_str(), field, "{name}: metrics[{i}].value_field");
        }
        if let Some(want) = e.get("wire_raw") {
            assert_eq!(want.as_u64(), raw, "{name}: metrics[{i}].wire_raw");
        }
    }
}

/// Every Tahu JS vector decodes to `expected`, has the wire fields it names, and (for data
/// messages) resolves through its birth to `expected_resolved`.
#[test]
fn tahu_js_vectors_decode_to_their_descriptions() {
    let vectors = descriptions("tahu-js");
    assert!(vectors.len() >= 29, "all vectors copied: {}", vectors.len());
    for (path, desc) in &vectors {
        let name = desc["name"].as_str().expect("name");
        let bytes = read_bin(path, desc["file"].as_str().expect("file"));
        let payload = Payload::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(diff) = contains(&desc["expected"], &as_json(&payload), name) {
            panic!("{diff}");
        }
        check_wire_fields(name, &bytes, &desc["expected"]);

        if let Some(resolved) = desc.get("expected_resolved") {
            let birth_bytes = read_bin(path, desc["resolve_with"].as_str().expect("resolve_with"));
            let birth = Payload::decode(&birth_bytes).expect("birth decodes");
            let table = AliasTable::from_birth(&birth).expect("birth is a valid alias table");
            let mut data = payload.clone();
            let errors = table.resolve_payload(&mut data);
            assert!(errors.is_empty(), "{name}: {errors:?}");
            if let Err(diff) = contains(resolved, &as_json(&data), &format!("{name} resolved")) {
                panic!("{diff}");
            }
        }
    }
}

/// The compressed wrappers of `sparkplug-client` decode to the wrapper itself when inflation is
/// off, and to the inner NBIRTH when it is on (the default).
#[test]
fn compressed_vectors_inflate_to_the_inner_payload() {
    let vectors = descriptions("tahu-js-client");
    assert_eq!(vectors.len(), 3);
    for (path, desc) in &vectors {
        let name = desc["name"].as_str().expect("name");
        let bytes = read_bin(path, desc["file"].as_str().expect("file"));
        let outer = Payload::decode_with(&bytes, &DecodeOptions::default().with_decompress(false))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(sparkplug_b::compression::is_compressed(&outer), "{name}");
        if let Err(diff) = contains(&desc["expected"], &as_json(&outer), name) {
            panic!("{diff}");
        }
        let inner = Payload::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(diff) = contains(
            &desc["inner_expected"],
            &as_json(&inner),
            &format!("{name} inner"),
        ) {
            panic!("{diff}");
        }
        let inner_file = read_bin(path, desc["inner_file"].as_str().expect("inner_file"));
        assert_eq!(
            inner,
            Payload::decode(&inner_file).expect("inner file decodes"),
            "{name}"
        );
    }
}

/// Re-encoding what we decoded from another implementation gives bytes that decode to the same
/// payload (byte equality is not expected: Tahu writes `false` flags we leave out).
#[test]
fn decoded_vectors_reencode_to_the_same_payload() {
    for (path, desc) in descriptions("tahu-js") {
        let name = desc["name"].as_str().expect("name");
        let bytes = read_bin(&path, desc["file"].as_str().expect("file"));
        let payload = Payload::decode(&bytes).expect("decodes");
        let again = payload
            .encode_to_vec()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = Payload::decode(&again).expect("re-encoded bytes decode");
        // NaN != NaN: compare the JSON renderings, which spell NaN as a string.
        assert_eq!(as_json(&back), as_json(&payload), "{name}");
    }
}

/// tck-id-payloads-template-definition-is-definition, tck-id-payloads-template-definition-ref,
/// tck-id-payloads-template-definition-parameters-default, tck-id-payloads-template-parameter-type-value,
/// tck-id-payloads-template-instance-ref, tck-id-payloads-template-instance-members-birth,
/// tck-id-payloads-template-instance-parameters: Tahu's template vectors resolve. Its definitions
/// (`_types_/Motor`, `_types_/P`, every parameter type) join a catalogue; its instance
/// (`template_ref` "Motor") resolves against the Motor definition with every member and typed
/// parameters, and is refused against a catalogue where no template is named "Motor"
/// (tck-id-payloads-template-definition-nbirth: the ref is the definition's metric name).
#[test]
fn tahu_template_vectors_resolve() {
    use sparkplug_b::{TemplateCatalog, TemplateInstanceError, Value};
    let load = |name: &str| {
        let dir = vector_dir("tahu-js");
        Payload::decode(&std::fs::read(dir.join(format!("{name}.bin"))).expect("vector"))
            .expect("decodes")
    };
    let template = |p: &Payload| match &p.metrics[0].value {
        Some(Value::Template(t)) => (**t).clone(),
        other => panic!("{other:?}"),
    };
    let definition = load("template_definition");
    let catalog = TemplateCatalog::from_birth(&definition);
    let motor = catalog.get("_types_/Motor").expect("the definition");
    let mut checked = TemplateCatalog::new();
    checked
        .define("Motor", motor.clone())
        .expect("a valid definition");
    let params = load("template_param_types");
    checked
        .define("_types_/P", template(&params))
        .expect("every basic parameter type");
    let instance = template(&load("template_instance"));
    checked.check_instance(&instance, true).expect("resolves");
    let applied = checked.parameters(&instance);
    assert_eq!(applied.len(), motor.parameters.len());
    assert!(applied.iter().all(|p| p.value.is_some()));
    assert_eq!(
        catalog.check_instance(&instance, true),
        Err(TemplateInstanceError::Undefined("Motor".into()))
    );
}
