//! Decoding: bytes to the typed model ([`Payload::decode`](crate::Payload::decode)), or read in
//! place ([`PayloadView`]).

mod owned;
mod view;

pub(crate) use owned::MetricDecoder;
pub use view::{MetricView, Metrics, PayloadView, ValueRef};
pub(crate) use view::{TopLevel, read_payload};

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
    /// How many elements one payload may hold: metrics (at any depth), property keys and
    /// values, DataSet columns, rows and cells, template parameters. An element takes tens of
    /// bytes in memory but can take two on the wire, so this is what bounds the memory a
    /// hostile payload can make the decoder allocate. Default 1,048,576 (about 170 MB at the
    /// worst; a birth of 10,000 metrics with four properties each needs about 90,000).
    pub max_elements: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_depth: 32,
            decompress: true,
            max_inflated_size: 16 << 20,
            max_elements: 1 << 20,
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

    /// Sets how many elements one payload may hold (builder style).
    pub fn with_max_elements(mut self, elements: usize) -> Self {
        self.max_elements = elements;
        self
    }

    /// Sets the largest inflated body accepted (builder style).
    pub fn with_max_inflated_size(mut self, bytes: usize) -> Self {
        self.max_inflated_size = bytes;
        self
    }
}
