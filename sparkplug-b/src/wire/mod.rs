//! Protobuf wire primitives: a bounds-checked reader and a writer.
//!
//! The codec is written by hand over these instead of going through the generated prost
//! structs, for two reasons: presence and layout rules of Sparkplug are exact here rather than
//! inherited, and decoding goes straight into the typed model (or is read lazily from the
//! borrowed bytes) without the intermediate allocation of the wire structs.

mod reader;
mod writer;

pub(crate) use reader::{Reader, WireType, split_tag};
pub(crate) use writer::Writer;
