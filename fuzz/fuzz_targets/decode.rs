//! `decode`: arbitrary bytes through every read path of the codec.
//!
//! Checks that
//! - [`Payload::decode`] is total: any input gives `Ok` or `Err`, never a panic, an
//!   out-of-memory or a stack overflow (the crate promises bounded recursion and allocation);
//! - everything a host does next with a decoded payload is total too: [`validate`] for every
//!   message type, the JSON rendering, and [`AliasTable::from_birth`];
//! - the borrowed [`PayloadView`] agrees with the owned decoder: it accepts exactly the inputs
//!   whose top-level framing is valid (so whatever it rejects, the decoder rejects too),
//!   reports the same top-level fields, and reads one `Ok` [`MetricView`](sparkplug_b::MetricView)
//!   per decoded metric with the same fields.
//!
//! Why: decoding is the attack surface of a host, which reads payloads from any client of its
//! broker, and the view is a second hand-written parser of the same bytes that must not drift
//! from the first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sparkplug_b::topic::MessageType;
use sparkplug_b::validate::validate;
use sparkplug_b::{AliasTable, DecodeOptions, Payload, PayloadView};

const MESSAGE_TYPES: [MessageType; 8] = [
    MessageType::NBirth,
    MessageType::NDeath,
    MessageType::DBirth,
    MessageType::DDeath,
    MessageType::NData,
    MessageType::DData,
    MessageType::NCmd,
    MessageType::DCmd,
];

fuzz_target!(|bytes: &[u8]| {
    // The default path, decompression included: must not panic, and neither may what follows.
    if let Ok(payload) = Payload::decode(bytes) {
        for message_type in MESSAGE_TYPES {
            let _ = validate(message_type, &payload);
        }
        let _ = payload.to_json();
        let _ = AliasTable::from_birth(&payload);
    }

    // The view against the owned decoder, both on these exact bytes (no inflation).
    let raw = Payload::decode_with(bytes, &DecodeOptions::default().with_decompress(false));
    let view = match PayloadView::new(bytes) {
        Ok(view) => view,
        Err(e) => {
            // The owned decoder reads the same top-level fields, so it must fail too. Not
            // necessarily with the same error: it decodes each metric as it meets it, and may
            // stop at a bad metric before the framing error further on that the view reports.
            assert!(
                raw.is_err(),
                "PayloadView rejected ({e}) what the decoder accepts"
            );
            return;
        }
    };
    let metrics: Vec<_> = view.metrics().collect();
    assert_eq!(
        metrics.len(),
        view.metric_count(),
        "Metrics yielded fewer than metric_count()"
    );
    let Ok(payload) = raw else {
        return;
    };
    assert_eq!(view.timestamp(), payload.timestamp);
    assert_eq!(view.seq(), payload.seq);
    assert_eq!(view.uuid(), payload.uuid.as_deref());
    assert_eq!(view.body(), payload.body.as_deref());
    assert_eq!(
        metrics.len(),
        payload.metrics.len(),
        "view and decoder count different metrics"
    );
    for (view, metric) in metrics.iter().zip(&payload.metrics) {
        let view = match view {
            Ok(view) => view,
            Err(e) => panic!("the decoder accepted a metric the view rejects: {e}"),
        };
        assert_eq!(view.name(), metric.name.as_deref());
        assert_eq!(view.alias(), metric.alias);
        assert_eq!(view.timestamp(), metric.timestamp);
        assert_eq!(view.datatype(), metric.datatype);
        assert_eq!(view.is_historical(), metric.is_historical);
        assert_eq!(view.is_transient(), metric.is_transient);
        assert_eq!(view.is_null(), metric.is_null);
        assert_eq!(view.metadata_bytes().is_some(), metric.metadata.is_some());
        assert_eq!(
            view.properties_bytes().is_some(),
            metric.properties.is_some()
        );
        assert_eq!(view.value().is_some(), metric.value.is_some());
    }
});
