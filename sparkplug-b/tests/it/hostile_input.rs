//! Hostile input: truncated, oversized, deeply nested and random bytes give errors, never a
//! panic, and never an allocation sized by a claim in the input.

use proptest::prelude::*;
use sparkplug_b::{
    DecodeError, DecodeOptions, Metric, Payload, PayloadView, Template, Value, ValueError,
};

fn vectors() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vectors");
    let mut out = Vec::new();
    for set in ["tahu-js", "tahu-js-client"] {
        for entry in std::fs::read_dir(dir.join(set)).expect("vectors") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|x| x == "bin") {
                out.push(std::fs::read(path).expect("bytes"));
            }
        }
    }
    out
}

/// Every prefix of every vector decodes or fails cleanly; a strict prefix that cuts a field
/// is an error.
#[test]
fn every_truncation_is_handled() {
    for bytes in vectors() {
        for len in 0..bytes.len() {
            let cut = &bytes[..len];
            let _ = Payload::decode(cut);
            if let Ok(view) = PayloadView::new(cut) {
                for m in view.metrics() {
                    let _ = m;
                }
            }
        }
    }
}

/// A length prefix that claims more than the input holds is truncation, not an allocation.
#[test]
fn oversized_lengths() {
    // metrics field with length 2^35
    let bytes = [0x12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    assert_eq!(Payload::decode(&bytes), Err(DecodeError::Truncated));
    // a BooleanArray claiming 4 billion elements in 5 bytes
    let birth = [
        0x12, 0x09, 0x20, 0x20, 0x82, 0x01, 0x04, 0xff, 0xff, 0xff, 0xff,
    ];
    let err = Payload::decode(&birth).unwrap_err();
    assert_eq!(
        err,
        DecodeError::Value {
            metric: 0,
            source: ValueError::BooleanArrayCount {
                count: u32::MAX,
                bytes: 0
            }
        }
    );
}

/// Templates nested beyond the limit are refused before the stack is at risk.
#[test]
fn deep_template_nesting_is_bounded() {
    let mut metric = Metric::new("leaf", 1i32);
    for i in 0..200 {
        metric = Metric::new(format!("t{i}"), Template::instance("T", vec![metric]));
    }
    let bytes = Payload::default()
        .with_metric(metric)
        .encode_to_vec()
        .unwrap();
    assert_eq!(Payload::decode(&bytes), Err(DecodeError::TooDeep));
    let lenient = DecodeOptions::default().with_max_depth(256);
    assert!(Payload::decode_with(&bytes, &lenient).is_ok());
}

/// Property sets nested beyond the limit are refused too.
#[test]
fn deep_property_nesting_is_bounded() {
    let mut set = sparkplug_b::PropertySet::new();
    for _ in 0..100 {
        set = sparkplug_b::PropertySet::new().with(
            "n",
            sparkplug_b::PropertyValue::new(Value::PropertySet(Box::new(set))),
        );
    }
    let p = Payload::default().with_metric(Metric::new("m", 1.0).with_properties(set));
    let bytes = p.encode_to_vec().unwrap();
    assert_eq!(Payload::decode(&bytes), Err(DecodeError::TooDeep));
}

/// Two bytes on the wire (an empty metric) become a whole `Metric` in memory: the element limit
/// bounds what a flood of them can allocate, at any nesting depth.
#[test]
fn element_floods_are_bounded() {
    let flood: Vec<u8> = std::iter::repeat_n([0x12u8, 0x00], 5_000)
        .flatten()
        .collect();
    let strict = DecodeOptions::default().with_max_elements(1_000);
    assert_eq!(
        Payload::decode_with(&flood, &strict),
        Err(DecodeError::TooManyElements { limit: 1_000 })
    );
    assert_eq!(Payload::decode(&flood).map(|p| p.metrics.len()), Ok(5_000));
    // The same flood inside a DataSet: empty rows.
    let ds = sparkplug_b::DataSet {
        rows: vec![vec![]; 5_000],
        ..sparkplug_b::DataSet::default()
    };
    let bytes = Payload::default()
        .with_metric(Metric::new("ds", ds))
        .encode_to_vec()
        .unwrap();
    assert!(matches!(
        Payload::decode_with(&bytes, &strict),
        Err(DecodeError::TooManyElements { .. })
    ));
}

/// A nest of protobuf groups in an unknown field is bounded as well.
#[test]
fn group_bombs_are_bounded() {
    let bytes: Vec<u8> = std::iter::repeat_n(0x33u8, 100_000).collect();
    assert_eq!(Payload::decode(&bytes), Err(DecodeError::TooDeep));
}

/// Unknown fields of every wire type are skipped (SPARKPLUG.md 4: extensions must not be
/// rejected).
#[test]
fn unknown_fields_are_skipped() {
    let mut bytes = Payload::new(5).with_seq(1).encode_to_vec().unwrap();
    // field 6 varint, field 7 fixed64, field 8 length-delimited, field 9 fixed32,
    // field 10 group containing field 1 varint
    bytes.extend_from_slice(&[0x30, 0x01]);
    bytes.extend_from_slice(&[0x39, 1, 2, 3, 4, 5, 6, 7, 8]);
    bytes.extend_from_slice(&[0x42, 0x02, 0xaa, 0xbb]);
    bytes.extend_from_slice(&[0x4d, 1, 2, 3, 4]);
    bytes.extend_from_slice(&[0x53, 0x08, 0x01, 0x54]);
    assert_eq!(Payload::decode(&bytes), Ok(Payload::new(5).with_seq(1)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Random bytes never panic the decoder or the view.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Payload::decode(&bytes);
        if let Ok(view) = PayloadView::new(&bytes) {
            for m in view.metrics() {
                let _ = m;
            }
        }
    }

    /// Random mutations of real payloads never panic either (they get past the framing far more
    /// often than random bytes do).
    #[test]
    fn mutated_vectors_never_panic(seed in any::<prop::sample::Index>(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let all = vectors();
        let mut bytes = seed.get(&all).clone();
        if !bytes.is_empty() {
            for (at, byte) in flips {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
        }
        let _ = Payload::decode(&bytes);
    }
}
