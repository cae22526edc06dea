//! Differential tests against prost: the hand-written codec and the generated wire structs
//! must agree on every payload, byte for byte when encoding.

use proptest::prelude::*;
use prost::Message;
use sparkplug_b::{EncodeOptions, Payload, proto};

use crate::roundtrip::arb_payload;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Our encoder writes exactly the bytes prost writes for the same wire struct (both write
    /// fields in field-number order with explicit presence).
    #[test]
    fn encoder_matches_prost_byte_for_byte(payload in arb_payload(), long_u32 in any::<bool>()) {
        let options = EncodeOptions::default().with_uint32_in_long_value(long_u32);
        let mut ours = Vec::new();
        payload.encode_with(&mut ours, &options).unwrap();
        let theirs = payload.to_wire(&options).unwrap().encode_to_vec();
        prop_assert_eq!(ours, theirs);
    }

    /// Decoding through prost and converting gives the same model as our decoder.
    #[test]
    fn decoder_matches_prost(payload in arb_payload()) {
        let bytes = payload.encode_to_vec().unwrap();
        let ours = Payload::decode(&bytes).unwrap();
        let theirs = Payload::try_from(proto::Payload::decode(&bytes[..]).unwrap()).unwrap();
        // NaN-safe comparison: re-encode both.
        prop_assert_eq!(ours.encode_to_vec().unwrap(), theirs.encode_to_vec().unwrap());
    }
}

/// tck-id-payloads-metric-datatype-value-type: a metric's datatype travels as the schema's
/// `uint32` (field 4, varint), for every data type, and prost's generated struct reads back the
/// same code. A varint wider than 32 bits is cut to its low 32 bits on reading, as protobuf
/// (and prost) read a `uint32`.
#[test]
fn metric_datatype_is_a_uint32() {
    use sparkplug_b::{DataType, Metric};
    for datatype in DataType::ALL {
        let metric = Metric {
            name: Some("m".into()),
            datatype: Some(datatype),
            is_null: true,
            ..Default::default()
        };
        let bytes = Payload::new(1).with_metric(metric).encode_to_vec().unwrap();
        let wire = proto::Payload::decode(&bytes[..]).unwrap();
        assert_eq!(
            wire.metrics[0].datatype,
            Some(datatype.code()),
            "{datatype:?}"
        );
    }
    // Metric { datatype (field 4): 2^32 + 10 } inside Payload field 2.
    let wide = [0x12, 0x06, 0x20, 0x8a, 0x80, 0x80, 0x80, 0x10];
    let ours = Payload::decode(&wide).unwrap();
    let theirs = proto::Payload::decode(&wide[..]).unwrap();
    assert_eq!(theirs.metrics[0].datatype, Some(10));
    assert_eq!(ours.metrics[0].datatype, Some(DataType::Double));
}
