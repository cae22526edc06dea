//! Eclipse Sparkplug B 3.0 for Rust: a spec-exact payload codec and the topic namespace, as a
//! core that does no IO.
//!
//! ```
//! use sparkplug_b::{AliasTable, Metric, Payload, Value};
//! use sparkplug_b::topic::{MessageType, Topic};
//! use sparkplug_b::validate::validate;
//!
//! // An edge node's birth: every metric with name, alias, datatype and value.
//! let nbirth = Payload::new(1_700_000_000_000)
//!     .with_seq(0)
//!     .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(1_700_000_000_000))
//!     .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(1_700_000_000_000))
//!     .with_metric(Metric::new("Brine/Temp", -8.5).with_alias(1).with_timestamp(1_700_000_000_000));
//! let bytes = nbirth.encode_to_vec()?;
//!
//! // A host: parse the topic, decode, validate, keep the birth's aliases.
//! let topic: Topic = "spBv1.0/IcePlant/NBIRTH/Plant1".parse()?;
//! assert_eq!(topic.message_type(), MessageType::NBirth);
//! let birth = Payload::decode(&bytes)?;
//! validate(MessageType::NBirth, &birth)?;
//! let aliases = AliasTable::from_birth(&birth)?;
//!
//! // Data by alias, without a datatype: resolved through the birth.
//! let ndata = Payload::new(1_700_000_001_000)
//!     .with_seq(1)
//!     .with_metric(Metric::aliased(1, -8.75).with_timestamp(1_700_000_001_000));
//! let mut data = Payload::decode(&ndata.encode_to_vec()?)?;
//! aliases.resolve_payload(&mut data);
//! assert_eq!(data.metrics[0].name.as_deref(), Some("Brine/Temp"));
//! assert_eq!(data.metrics[0].value, Some(Value::Double(-8.75)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is here
//! - The typed model: [`Payload`], [`Metric`], [`Value`] (one variant per [`DataType`]),
//!   [`DataSet`], [`Template`], [`PropertySet`], [`MetaData`].
//! - The codec: [`Payload::decode`] (total on any input, bounded recursion and allocation),
//!   [`PayloadView`] (borrowed, lazy, allocation-free reads), [`Payload::encode_to_vec`], and
//!   conversions to and from the prost wire structs in [`proto`].
//! - [`AliasTable`]: the birth-time table that names and types data and command metrics.
//! - [`validate()`]: the rules of each message type, each named by its `tck-id-*`.
//! - [`topic`]: the `spBv1.0` topic namespace and the STATE message.
//! - [`compression`]: Tahu-style compressed payloads.
//! - [`session`]: the edge node and host application as sans-IO state machines.
//! - [`monitor`]: a passive conformance monitor that grades any broker's Sparkplug traffic.
//!
//! # Feature flags
//! - `serde` (default): `Serialize` for the model, the JSON rendering of `docs/JSON.md`.
//! - `compression` (default): inflating compressed payloads (DEFLATE and GZIP).
//! - `tokio`: the `driver` module, runners that put the session state machines on an MQTT
//!   broker (tokio + rumqttc; MQTT 3.1.1 and 5, TLS through rustls).
//!
//! With no features the crate needs no runtime and no allocator beyond `std`'s collections.

pub mod alias;
mod array;
pub mod compression;
mod convert;
mod dataset;
mod datatype;
pub mod decode;
#[cfg(feature = "tokio")]
pub mod driver;
mod encode;
mod error;
#[cfg(feature = "serde")]
mod json;
mod metadata;
mod metric;
pub mod monitor;
mod payload;
pub mod property;
pub mod proto;
pub mod session;
mod template;
pub mod topic;
pub mod validate;
mod value;
mod wire;

pub use alias::{AliasTable, BirthError, MetricDefinition, ResolveError};
pub use dataset::DataSet;
pub use datatype::DataType;
pub use decode::{DecodeOptions, MetricView, PayloadView, ValueRef};
pub use encode::EncodeOptions;
pub use error::{CompressionError, DecodeError, EncodeError, ValueError, WireField};
pub use metadata::MetaData;
pub use metric::Metric;
pub use payload::Payload;
pub use property::{PropertySet, PropertyValue, Quality};
pub use template::{
    Parameter, Template, TemplateCatalog, TemplateDefinitionError, TemplateInstanceError,
};
pub use validate::{validate, validate_with_templates};
pub use value::Value;

// The README's example is compiled and run with the doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
