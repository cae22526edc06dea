//! Inputs found by the fuzz targets of `fuzz/` (see `docs/FUZZING.md`), kept as regressions.
//!
//! Every `*.bin` in `tests/data/fuzz-regressions/` goes through the checks of the `decode`
//! target; the files named `roundtrip-*` also through those of the `roundtrip` target. The
//! checks are the targets' own, restated here because the fuzz crate is outside the workspace.

use std::path::{Path, PathBuf};

use prost::Message;
use sparkplug_b::topic::MessageType;
use sparkplug_b::validate::validate;
use sparkplug_b::{AliasTable, DecodeOptions, Payload, PayloadView, proto};

fn regressions() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/fuzz-regressions")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|x| x == "bin"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("regression input");
            (path, bytes)
        })
        .collect()
}

fn name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
}

/// The `decode` target: total decoding, and what follows it, and the view agreeing with the
/// owned decoder.
fn check_decode(file: &str, bytes: &[u8]) {
    if let Ok(payload) = Payload::decode(bytes) {
        for message_type in [
            MessageType::NBirth,
            MessageType::NDeath,
            MessageType::DBirth,
            MessageType::DDeath,
            MessageType::NData,
            MessageType::DData,
            MessageType::NCmd,
            MessageType::DCmd,
        ] {
            let _ = validate(message_type, &payload);
        }
        let _ = payload.to_json();
        let _ = AliasTable::from_birth(&payload);
    }
    let raw = Payload::decode_with(bytes, &DecodeOptions::default().with_decompress(false));
    let view = match PayloadView::new(bytes) {
        Ok(view) => view,
        Err(e) => {
            // The decoder may report another error first, but it must fail too.
            assert!(
                raw.is_err(),
                "{file}: the view rejects ({e}) what the decoder accepts"
            );
            return;
        }
    };
    let metrics: Vec<_> = view.metrics().collect();
    assert_eq!(metrics.len(), view.metric_count(), "{file}");
    if let Ok(payload) = raw {
        assert_eq!(metrics.len(), payload.metrics.len(), "{file}");
        assert!(
            metrics.iter().all(Result::is_ok),
            "{file}: a metric view fails"
        );
        assert_eq!(view.timestamp(), payload.timestamp, "{file}");
        assert_eq!(view.seq(), payload.seq, "{file}");
    }
}

/// The `roundtrip` target: decode-encode-decode-encode is stable, and the prost path agrees.
fn check_roundtrip(file: &str, bytes: &[u8]) {
    let options = DecodeOptions::default().with_decompress(false);
    let Ok(first) = Payload::decode_with(bytes, &options) else {
        return;
    };
    let encoded = first
        .encode_to_vec()
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let second = Payload::decode_with(&encoded, &options).unwrap_or_else(|e| panic!("{file}: {e}"));
    let reencoded = second
        .encode_to_vec()
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(encoded, reencoded, "{file}: decode-encode is not stable");

    let Ok(wire) = proto::Payload::decode(bytes) else {
        return;
    };
    let Ok(converted) = Payload::try_from(wire.clone()) else {
        return;
    };
    let via_prost = converted
        .encode_to_vec()
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    if via_prost != encoded {
        // Only prost's merging of repeated singular messages may differ (see the target).
        let ours = Payload::decode_with(&wire.encode_to_vec(), &options)
            .ok()
            .and_then(|p| p.encode_to_vec().ok());
        assert_eq!(
            ours,
            Some(via_prost),
            "{file}: the prost path and the decoder disagree"
        );
    }
}

#[test]
fn fuzz_regressions() {
    let files = regressions();
    assert!(!files.is_empty(), "no regression inputs found");
    for (path, bytes) in &files {
        let file = name(path);
        check_decode(file, bytes);
        if file.starts_with("roundtrip-") {
            check_roundtrip(file, bytes);
        }
    }
}

/// The first roundtrip finding, reduced by hand: a template parameter with a value and no
/// `type` lost its value in the decoder (the prost path kept it).
#[test]
fn untyped_parameter_keeps_its_value() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz-regressions/roundtrip-untyped-parameter-min.bin");
    let bytes = std::fs::read(path).expect("regression input");
    let payload = Payload::decode(&bytes).expect("decodes");
    let Some(sparkplug_b::Value::Template(template)) = &payload.metrics[0].value else {
        panic!("a template value: {payload:?}");
    };
    assert_eq!(template.parameters[0].datatype, None);
    assert_eq!(
        template.parameters[0].value,
        Some(sparkplug_b::Value::UInt32(7))
    );
}

/// The same loss for a property value without `type`.
#[test]
fn untyped_property_keeps_its_value() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz-regressions/roundtrip-untyped-property.bin");
    let bytes = std::fs::read(path).expect("regression input");
    let payload = Payload::decode(&bytes).expect("decodes");
    let properties = payload.metrics[0].properties.as_ref().expect("properties");
    let value = properties.get("k").expect("property k");
    assert_eq!(value.datatype, None);
    assert_eq!(value.value, Some(sparkplug_b::Value::UInt32(7)));
}

/// Found by `.ci/fuzz` (roundtrip, 30 s): a DataSet with a row of no cells under one Int64
/// column decoded, and the encoder (which writes only rows as wide as the types) refused it.
/// The decoder now refuses a row of another width with a typed error, so every payload that
/// decodes encodes again.
#[test]
fn a_dataset_row_of_the_wrong_width_does_not_decode() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz-regressions/roundtrip-dataset-ragged-row.bin");
    let bytes = std::fs::read(path).expect("regression input");
    assert_eq!(
        Payload::decode(&bytes),
        Err(sparkplug_b::DecodeError::DataSetRowWidth {
            row: 0,
            expected: 1,
            found: 0
        })
    );
}
