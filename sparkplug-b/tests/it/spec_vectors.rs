//! The golden vectors of SPARKPLUG.md 3.8 (made with `protoc --encode` from Tahu's schema):
//! the encoder must produce exactly these bytes and the decoder must read them back.

use sparkplug_b::{AliasTable, DataSet, DataType, Metric, Parameter, Payload, Template, Value};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

fn assert_encodes(payload: &Payload, bytes: &str) {
    let want = hex(bytes);
    assert_eq!(payload.encode_to_vec().expect("encodes"), want, "encoding");
    assert_eq!(
        &Payload::decode(&want).expect("decodes"),
        payload,
        "decoding"
    );
}

/// tck-id-topics-ndeath-payload, tck-id-topics-ndeath-seq: one metric `bdSeq` (Int64 in
/// long_value) and no seq field.
#[test]
fn ndeath() {
    let ndeath = Payload::default().with_metric(Metric::new("bdSeq", 0i64));
    assert_encodes(&ndeath, "12 0b 0a 05 62 64 53 65 71 20 04 58 00");
}

/// tck-id-payloads-sequence-num-always-included, tck-id-topics-nbirth-seq-num: seq 0 is on the
/// wire (`18 00`), fields in field-number order.
#[test]
fn birth_with_seq_zero() {
    let ts = 1_700_000_000_000;
    let birth = Payload::new(ts)
        .with_seq(0)
        .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(ts))
        .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(ts));
    assert_encodes(
        &birth,
        "08 80 d0 95 ff bc 31 12 12 0a 05 62 64 53 65 71 18 80 d0 95 ff bc 31 20 04 58 00 12 21 0a 14 \
         4e 6f 64 65 20 43 6f 6e 74 72 6f 6c 2f 52 65 62 69 72 74 68 18 80 d0 95 ff bc 31 20 0b 70 00 \
         18 00",
    );
}

/// SPARKPLUG.md 3.2: Int8 -1 is sign-extended into int_value; a zero-extended sender's bytes
/// decode to -1 as well once the birth says Int8.
#[test]
fn int8_minus_one_both_extensions() {
    let data = Payload::default().with_metric(Metric::aliased(1, Value::Int8(-1)));
    assert_eq!(
        data.encode_to_vec().unwrap(),
        hex("12 08 10 01 50 ff ff ff ff 0f")
    );
    let birth = Payload::default().with_metric(Metric::new("i8", Value::Int8(0)).with_alias(1));
    let table = AliasTable::from_birth(&birth).unwrap();
    for bytes in ["12 08 10 01 50 ff ff ff ff 0f", "12 05 10 01 50 ff 01"] {
        let mut p = Payload::decode(&hex(bytes)).unwrap();
        table.resolve(&mut p.metrics[0]).unwrap();
        assert_eq!(p.metrics[0].value, Some(Value::Int8(-1)), "{bytes}");
    }
}

#[test]
fn int64_minus_one_and_float() {
    let p = Payload::default().with_metric(Metric::aliased(2, Value::Int64(-1)));
    assert_eq!(
        p.encode_to_vec().unwrap(),
        hex("12 0d 10 02 58 ff ff ff ff ff ff ff ff ff 01")
    );
    let p = Payload::default().with_metric(Metric::aliased(3, 1.23f32));
    assert_eq!(
        p.encode_to_vec().unwrap(),
        hex("12 07 10 03 65 a4 70 9d 3f")
    );
}

/// tck-id-operational-behavior-data-publish-nbirth-values: a null birth metric has is_null and
/// no value.
#[test]
fn null_birth_metric() {
    let p = Payload::default().with_metric(Metric::null("n", DataType::String).with_timestamp(1));
    assert_encodes(&p, "12 09 0a 01 6e 18 01 20 0c 38 01");
}

/// SPARKPLUG.md 3.3: BooleanArray = u32 LE count + MSB-first bits.
#[test]
fn boolean_array() {
    let bits = vec![
        false, false, true, true, false, true, false, false, true, true, false, true,
    ];
    let p = Payload::default().with_metric(Metric::new("ba", bits));
    assert_encodes(&p, "12 0f 0a 02 62 61 20 20 82 01 06 0c 00 00 00 34 d0");
}

/// SPARKPLUG.md 3.4: DataSet `types` written unpacked; an Int32 -1 cell sign-extended.
#[test]
fn dataset() {
    let ds = DataSet::new([("a", DataType::Int32), ("b", DataType::String)]).with_row(vec![
        Some(Value::Int32(-1)),
        Some(Value::String("x".into())),
    ]);
    let p = Payload::default().with_metric(Metric::new("ds", ds));
    assert_encodes(
        &p,
        "12 24 0a 02 64 73 20 10 8a 01 1b 08 02 12 01 61 12 01 62 18 03 18 0c 22 0d 0a 06 08 ff ff ff \
         ff 0f 0a 03 32 01 78",
    );
}

/// SPARKPLUG.md 3.5, tck-id-payloads-template-definition-is-definition,
/// tck-id-payloads-template-definition-ref: a definition with a member, a parameter and a
/// version, `is_definition` written even though it is the last field.
#[test]
fn template_definition() {
    let def = Template::definition(vec![Metric::new("m", 0i32)])
        .with_version("1")
        .with_parameter(Parameter::new("p", "d"));
    let p = Payload::default().with_metric(Metric::new("T", def));
    assert_encodes(
        &p,
        "12 20 0a 01 54 20 13 92 01 18 0a 01 31 12 07 0a 01 6d 20 03 50 00 1a 08 0a 01 70 10 0c 42 01 \
         64 28 01",
    );
}

/// DataSet `types` packed (as some encoders write it) decodes like unpacked.
#[test]
fn dataset_types_packed() {
    let packed = hex(
        "12 24 0a 02 64 73 20 10 8a 01 1b 08 02 12 01 61 12 01 62 1a 02 03 0c 22 0d 0a 06 08 ff ff ff \
         ff 0f 0a 03 32 01 78",
    );
    let p = Payload::decode(&packed).unwrap();
    let Some(Value::DataSet(ds)) = &p.metrics[0].value else {
        panic!("a DataSet")
    };
    assert_eq!(ds.types, [DataType::Int32, DataType::String]);
    assert_eq!(ds.rows[0][0], Some(Value::Int32(-1)));
}

/// UInt32 goes in int_value by default and in long_value when asked (SPARKPLUG.md 3.2); both
/// decode.
#[test]
fn uint32_field_choice() {
    use sparkplug_b::EncodeOptions;
    let p = Payload::default().with_metric(Metric::new("u", 4_000_000_000u32));
    let spec = p.encode_to_vec().unwrap();
    let mut tahu = Vec::new();
    p.encode_with(
        &mut tahu,
        &EncodeOptions::default().with_uint32_in_long_value(true),
    )
    .unwrap();
    assert_ne!(spec, tahu);
    assert_eq!(spec[spec.len() - 6], 0x50, "int_value field key");
    assert_eq!(tahu[tahu.len() - 6], 0x58, "long_value field key");
    assert_eq!(Payload::decode(&spec).unwrap(), p);
    assert_eq!(Payload::decode(&tahu).unwrap(), p);
}
