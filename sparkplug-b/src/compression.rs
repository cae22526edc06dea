//! Tahu-style compressed payloads (SPARKPLUG.md 3.7; not part of the spec, but what Eclipse
//! Tahu's clients send when compression is on).
//!
//! The outer payload has `uuid` = [`COMPRESSED_UUID`], its `body` is the compressed encoding of
//! the inner payload, and an optional String metric `algorithm` names the algorithm
//! (`DEFLATE`, the default, is a zlib stream; `GZIP` a gzip stream).
//! [`Payload::decode`](crate::Payload::decode) inflates such payloads and returns the inner one.

use crate::Payload;
use crate::error::CompressionError;

/// The `uuid` that marks a compressed payload.
pub const COMPRESSED_UUID: &str = "SPBV1.0_COMPRESSED";

/// A compression algorithm of Tahu-style compressed payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// A zlib stream (Tahu calls it DEFLATE; the default when no `algorithm` metric is sent).
    Deflate,
    /// A gzip stream.
    Gzip,
}

impl Algorithm {
    /// The name used in the `algorithm` metric.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Deflate => "DEFLATE",
            Algorithm::Gzip => "GZIP",
        }
    }
}

/// Whether `payload` is a compressed wrapper.
pub fn is_compressed(payload: &Payload) -> bool {
    payload.uuid.as_deref() == Some(COMPRESSED_UUID)
}

/// The algorithm a compressed wrapper names (DEFLATE when it names none).
pub fn algorithm(payload: &Payload) -> Result<Algorithm, CompressionError> {
    let named = payload.metric("algorithm").and_then(|m| m.value.as_ref());
    match named {
        None => Ok(Algorithm::Deflate),
        Some(v) => match v.as_str() {
            Some(name) if name.eq_ignore_ascii_case("DEFLATE") => Ok(Algorithm::Deflate),
            Some(name) if name.eq_ignore_ascii_case("GZIP") => Ok(Algorithm::Gzip),
            Some(name) => Err(CompressionError::UnknownAlgorithm(name.to_owned())),
            None => Err(CompressionError::UnknownAlgorithm(format!("{v:?}"))),
        },
    }
}

/// Inflates the body of a compressed wrapper into the encoded inner payload, refusing to
/// produce more than `limit` bytes.
pub fn inflate(payload: &Payload, limit: usize) -> Result<Vec<u8>, CompressionError> {
    let body = payload
        .body
        .as_deref()
        .ok_or(CompressionError::MissingBody)?;
    inflate_body(algorithm(payload)?, body, limit)
}

#[cfg(feature = "compression")]
fn inflate_body(
    algorithm: Algorithm,
    body: &[u8],
    limit: usize,
) -> Result<Vec<u8>, CompressionError> {
    use std::io::Read;
    let mut out = Vec::new();
    // Read at most one byte past the limit: enough to tell "too large" from "exactly fits"
    // without ever holding more than the limit allows.
    let cap = limit as u64 + 1;
    let read = match algorithm {
        Algorithm::Deflate => flate2::read::ZlibDecoder::new(body)
            .take(cap)
            .read_to_end(&mut out),
        Algorithm::Gzip => flate2::read::GzDecoder::new(body)
            .take(cap)
            .read_to_end(&mut out),
    };
    read.map_err(|_| CompressionError::Corrupt {
        algorithm: algorithm.as_str(),
    })?;
    if out.len() > limit {
        return Err(CompressionError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(not(feature = "compression"))]
fn inflate_body(_: Algorithm, _: &[u8], _: usize) -> Result<Vec<u8>, CompressionError> {
    Err(CompressionError::Unsupported)
}

/// Wraps an encoded payload into a compressed one, as Tahu's clients do: for peers that
/// expect compression, and for tests.
#[cfg(feature = "compression")]
pub fn compress(encoded: &[u8], algorithm: Algorithm) -> Payload {
    use std::io::Write;
    let level = flate2::Compression::default();
    // Writing into a Vec cannot fail.
    let body = match algorithm {
        Algorithm::Deflate => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
            let _ = e.write_all(encoded);
            e.finish().unwrap_or_default()
        }
        Algorithm::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
            let _ = e.write_all(encoded);
            e.finish().unwrap_or_default()
        }
    };
    let mut payload = Payload {
        uuid: Some(COMPRESSED_UUID.to_owned()),
        body: Some(body),
        ..Payload::default()
    };
    if algorithm == Algorithm::Gzip {
        payload
            .metrics
            .push(crate::Metric::new("algorithm", Algorithm::Gzip.as_str()));
    }
    payload
}

#[cfg(all(test, feature = "compression"))]
mod tests {
    use super::*;
    use crate::{DecodeError, DecodeOptions, Metric};

    fn inner() -> Payload {
        Payload::new(1)
            .with_seq(0)
            .with_metric(Metric::new("x", 1.5).with_timestamp(1))
    }

    #[test]
    fn both_algorithms_round_trip_through_decode() {
        for algorithm in [Algorithm::Deflate, Algorithm::Gzip] {
            let wrapper = compress(&inner().encode_to_vec().unwrap(), algorithm);
            let bytes = wrapper.encode_to_vec().unwrap();
            assert_eq!(Payload::decode(&bytes).unwrap(), inner(), "{algorithm:?}");
            let raw =
                Payload::decode_with(&bytes, &DecodeOptions::default().with_decompress(false))
                    .unwrap();
            assert!(is_compressed(&raw));
        }
    }

    #[test]
    fn bombs_are_stopped_at_the_limit() {
        let big = vec![0u8; 1 << 20];
        let bytes = compress(&big, Algorithm::Deflate).encode_to_vec().unwrap();
        assert!(bytes.len() < 4096, "a megabyte of zeros compresses well");
        let options = DecodeOptions::default().with_max_inflated_size(64 * 1024);
        assert_eq!(
            Payload::decode_with(&bytes, &options),
            Err(DecodeError::Compression(CompressionError::TooLarge {
                limit: 64 * 1024
            }))
        );
    }

    #[test]
    fn bad_bodies_and_algorithms() {
        let mut wrapper = compress(b"", Algorithm::Deflate);
        wrapper.body = Some(vec![1, 2, 3]);
        assert_eq!(
            inflate(&wrapper, 1024),
            Err(CompressionError::Corrupt {
                algorithm: "DEFLATE"
            })
        );
        wrapper.metrics.push(Metric::new("algorithm", "LZ4"));
        assert_eq!(
            inflate(&wrapper, 1024),
            Err(CompressionError::UnknownAlgorithm("LZ4".into()))
        );
        wrapper.body = None;
        assert_eq!(inflate(&wrapper, 1024), Err(CompressionError::MissingBody));
    }
}
