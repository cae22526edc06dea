//! Decoding: bytes to the typed model ([`Payload::decode`](crate::Payload::decode)), or read in
//! place ([`PayloadView`]).

mod owned;
mod view;

pub use view::{MetricView, Metrics, PayloadView, ValueRef};

/// Limits and switches of the decoder. The defaults suit payloads from untrusted peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// How deep templates and property sets may nest inside a metric. Each level is a
    /// recursion of the decoder, so this bounds its stack use. Default 32.
    pub max_depth: u32,
    /// Whether a Tahu-style compressed payload (`uuid` = `SPBV1.0_COMPRESSED`) is inflated
    /// and its inner payload returned. Default true.
    pub decompress: bool,
    /// The largest inflated body accepted, in bytes: the guard against decompression bombs.
    /// Default 16 MiB.
    pub max_inflated_size: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_depth: 32,
            decompress: true,
            max_inflated_size: 16 << 20,
        }
    }
}

impl DecodeOptions {
    /// Sets the nesting limit (builder style).
    pub fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Turns inflation of compressed payloads on or off (builder style).
    pub fn with_decompress(mut self, decompress: bool) -> Self {
        self.decompress = decompress;
        self
    }

    /// Sets the largest inflated body accepted (builder style).
    pub fn with_max_inflated_size(mut self, bytes: usize) -> Self {
        self.max_inflated_size = bytes;
        self
    }
}
