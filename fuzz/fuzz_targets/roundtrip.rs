//! `roundtrip`: decode, encode, decode, encode must be stable, and the prost path must agree.
//!
//! For any input that decodes (compressed wrappers are not inflated, so the bytes compared are
//! the bytes given):
//! - `encode_to_vec()` must succeed: everything the decoder can produce has a wire form, or a
//!   host could not forward what it received;
//! - re-decoding the encoding and encoding again gives the same bytes. Bytes are compared, not
//!   `Payload`s, because a NaN value is not equal to itself;
//! - `Payload::try_from(proto::Payload::decode(bytes))`, the conversion from prost's generated
//!   structs, reads the input the same way as the hand-written decoder when both succeed
//!   (compared by re-encoding both).
//!
//! Why: a codec whose decode and encode disagree corrupts values as they pass through a
//! bridge or a store-and-forward buffer; and the generated-structs path is a second decoder
//! of the same schema that must not drift from the first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use sparkplug_b::{DecodeOptions, Payload, proto};

fuzz_target!(|bytes: &[u8]| {
    let options = DecodeOptions::default().with_decompress(false);
    let Ok(first) = Payload::decode_with(bytes, &options) else {
        return;
    };
    let encoded = match first.encode_to_vec() {
        Ok(encoded) => encoded,
        Err(e) => panic!("a decoded payload cannot be encoded: {e}\n{first:?}"),
    };
    let second = match Payload::decode_with(&encoded, &options) {
        Ok(second) => second,
        Err(e) => panic!("the encoder wrote bytes its decoder rejects: {e}\n{first:?}"),
    };
    let reencoded = match second.encode_to_vec() {
        Ok(reencoded) => reencoded,
        Err(e) => panic!("a re-decoded payload cannot be encoded: {e}\n{second:?}"),
    };
    assert!(
        encoded == reencoded,
        "decode-encode is not stable:\n{first:?}\n{second:?}"
    );

    // The prost path. Where it also succeeds, it must give the same model.
    let Ok(wire) = proto::Payload::decode(bytes) else {
        return;
    };
    let Ok(converted) = Payload::try_from(wire.clone()) else {
        return;
    };
    let via_prost = match converted.encode_to_vec() {
        Ok(via_prost) => via_prost,
        Err(e) => panic!("a payload converted from prost cannot be encoded: {e}\n{converted:?}"),
    };
    if via_prost != encoded {
        // prost follows protobuf's merge rule: a singular embedded message (metadata,
        // properties, a DataSet or Template value) that appears twice is merged, where the
        // hand-written decoder keeps the last one. Tolerate exactly that: on prost's own
        // canonical encoding, where every singular field appears once, the two must agree.
        let canonical = wire.encode_to_vec();
        let ours = Payload::decode_with(&canonical, &options)
            .ok()
            .and_then(|p| p.encode_to_vec().ok());
        assert!(
            ours.as_deref() == Some(&via_prost[..]),
            "the prost path and the decoder disagree:\ndecoder: {first:?}\nprost:    {converted:?}"
        );
    }
});
