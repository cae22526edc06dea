//! The errors of the edge node: one type per operation.
//!
//! These are the application's mistakes (an unknown metric name, a value of the wrong type).
//! What a peer gets wrong is never an `Err` here: it becomes an
//! [`EdgeEvent`](super::EdgeEvent) carrying a [`CommandError`] or a [`MessageError`].

use crate::topic::{DeviceId, StateParseError, TopicParseError};
use crate::{
    DataType, DecodeError, EncodeError, ResolveError, TemplateDefinitionError,
    TemplateInstanceError,
};

/// Why a [`MetricSpec`](super::MetricSpec) cannot be added to the node or a device.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricSpecError {
    /// The metric name is empty.
    #[error("a metric name must not be empty (tck-id-payloads-name-requirement)")]
    EmptyName,
    /// The name is one the node itself publishes (`bdSeq`, `Node Control/Rebirth`).
    #[error("metric name {0:?} is reserved for the edge node itself")]
    ReservedName(String),
    /// A metric of this name already exists on the node or the device.
    #[error("metric {0:?} is already defined here")]
    DuplicateName(String),
    /// A metric (or, on the node, a template definition) of a name that differs from this one
    /// only by case is already there (`tck-id-case-sensitivity-metric-names`).
    #[error(
        "metric {name:?} differs from {existing:?} only by case (tck-id-case-sensitivity-metric-names)"
    )]
    NameDiffersOnlyByCase {
        /// The metric name.
        name: String,
        /// The name already there.
        existing: String,
    },
    /// A `Node Control/Scan Rate` of 0 or less.
    #[error("a scan rate must be above 0 ms, not {0}")]
    InvalidScanRate(i64),
    /// Metadata that cannot describe the value (a size other than its length, an md5 that is
    /// not 32 hex digits, a part number without `is_multi_part`).
    #[error("metric {name:?}: bad metadata: {problem}")]
    InvalidMetadata {
        /// The metric name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// The initial value is a template definition: definitions are declared once with
    /// [`EdgeNode::define_template`](super::EdgeNode::define_template) and published in the
    /// NBIRTH only (`tck-id-payloads-template-definition-nbirth-only`).
    #[error(
        "metric {0:?}: a template definition is not a metric; declare it with define_template (tck-id-payloads-template-definition-nbirth-only)"
    )]
    TemplateDefinition(String),
    /// A Template metric without an instance as its initial value: births carry every member
    /// of an instance (`tck-id-payloads-template-instance-members-birth`).
    #[error("metric {0:?}: a Template metric needs an instance as its initial value")]
    TemplateWithoutInstance(String),
    /// The initial instance does not match its definition (undefined template, a missing,
    /// unknown or mistyped member, a parameter of the wrong type).
    #[error("metric {name:?}: {source}")]
    TemplateInstance {
        /// The metric name.
        name: String,
        /// Why.
        #[source]
        source: TemplateInstanceError,
    },
    /// The datatype cannot be a metric's (Unknown, PropertySet, PropertySetList, or an
    /// unrecognised code; `tck-id-payloads-metric-datatype-value`).
    #[error("metric {name:?}: {datatype} is not a metric datatype")]
    NotAMetricType {
        /// The metric name.
        name: String,
        /// The datatype given.
        datatype: DataType,
    },
    /// The initial value's datatype is not the metric's.
    #[error("metric {name:?} is {expected} but its initial value is {found}")]
    InitialValueType {
        /// The metric name.
        name: String,
        /// The metric's datatype.
        expected: DataType,
        /// The datatype of the initial value.
        found: DataType,
    },
    /// A deadband on a datatype that is not numeric, or one that is negative or not finite.
    #[error("metric {name:?}: a deadband needs a numeric datatype and a finite value >= 0")]
    InvalidDeadband {
        /// The metric name.
        name: String,
    },
    /// The initial value or the properties have no wire form (a NUL in a StringArray, an
    /// array as a property value, ...).
    #[error("metric {name:?} cannot be encoded: {source}")]
    Unencodable {
        /// The metric name.
        name: String,
        /// Why.
        #[source]
        source: EncodeError,
    },
}

/// Why [`EdgeNode::define_template`](super::EdgeNode::define_template) refused a definition.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DefineTemplateError {
    /// The definition breaks a template rule.
    #[error(transparent)]
    Definition(#[from] TemplateDefinitionError),
    /// A node metric (or a reserved name) has this name, or one that differs only by case: the
    /// definition is a metric of the NBIRTH too (`tck-id-case-sensitivity-metric-names`).
    #[error("template {name:?}: the node already has a metric {existing:?}")]
    NameTaken {
        /// The template name.
        name: String,
        /// The name already there.
        existing: String,
    },
    /// The definition has no wire form (a NUL in a StringArray default, ...).
    #[error("template {name:?} cannot be encoded: {source}")]
    Unencodable {
        /// The template name.
        name: String,
        /// Why.
        #[source]
        source: EncodeError,
    },
}

/// Why [`EdgeNode::add_device`](super::EdgeNode::add_device) failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AddDeviceError {
    /// A device with this id is already attached to the node
    /// (`tck-id-topic-structure-namespace-unique-device-id`).
    #[error("device {0} already exists on this edge node")]
    DuplicateDevice(DeviceId),
    /// One of the device's metric specs is invalid.
    #[error(transparent)]
    Metric(#[from] MetricSpecError),
}

/// The device named in a call is not attached to the node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device {0} is not attached to this edge node")]
pub struct UnknownDevice(pub DeviceId);

/// Why [`EdgeNode::set_metric`](super::EdgeNode::set_metric) refused a value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SetMetricError {
    /// The device is not attached to the node.
    #[error(transparent)]
    UnknownDevice(#[from] UnknownDevice),
    /// No metric of this name was defined (on the node, or on the device).
    #[error("no metric {name:?} is defined on {}", owner(.device))]
    UnknownMetric {
        /// The device, `None` for a node metric.
        device: Option<DeviceId>,
        /// The name asked for.
        name: String,
    },
    /// The value's datatype is not the metric's.
    #[error("metric {name:?} is {expected}, not {found}")]
    TypeMismatch {
        /// The metric name.
        name: String,
        /// The metric's datatype, as born.
        expected: DataType,
        /// The datatype of the value given.
        found: DataType,
    },
    /// The value has no wire form (a NUL in a StringArray element, say).
    #[error("metric {name:?} cannot be encoded: {source}")]
    Unencodable {
        /// The metric name.
        name: String,
        /// Why.
        #[source]
        source: EncodeError,
    },
    /// Metadata that cannot describe the value (see
    /// [`MetricSpec::with_metadata`](super::MetricSpec::with_metadata)).
    #[error("metric {name:?}: bad metadata: {problem}")]
    InvalidMetadata {
        /// The metric name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A template value of another template than the metric was born with.
    #[error("metric {name:?} is an instance of {born:?}, not of {found:?}")]
    TemplateChanged {
        /// The metric name.
        name: String,
        /// The template of the birth.
        born: String,
        /// The template of the value given.
        found: String,
    },
    /// A template value that does not match its definition (a definition, another template,
    /// a missing, unknown or mistyped member, a parameter of the wrong type).
    #[error("metric {name:?}: {source}")]
    TemplateInstance {
        /// The metric name.
        name: String,
        /// Why.
        #[source]
        source: TemplateInstanceError,
    },
}

/// Why a command metric (from NCMD or DCMD) was not delivered as
/// [`EdgeEvent::Command`](super::EdgeEvent::Command).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The metric does not resolve against this node's birth: unknown alias or name, a
    /// datatype other than the birth's, or a value that does not fit it
    /// (`tck-id-operational-behavior-data-commands-ncmd-metric-value`).
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The DCMD names a device that is not attached to this node.
    #[error(transparent)]
    UnknownDevice(#[from] UnknownDevice),
    /// The command metric carries no value (or `is_null`).
    #[error("command metric {0:?} carries no value")]
    NoValue(String),
    /// `Node Control/Rebirth` with a value that is not a Boolean
    /// (`tck-id-operational-behavior-data-commands-ncmd-rebirth-value`).
    #[error("Node Control/Rebirth must be a Boolean")]
    RebirthNotBoolean,
    /// `Node Control/Scan Rate` written with 0 or less.
    #[error("Node Control/Scan Rate must be above 0 ms, not {0}")]
    InvalidScanRate(i64),
    /// A metric the node maintains itself (`bdSeq`) cannot be written.
    #[error("metric {0:?} is maintained by the edge node and cannot be written")]
    ReadOnly(String),
}

/// Why a received message could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The topic is not a Sparkplug topic.
    #[error("bad topic: {0}")]
    Topic(#[from] TopicParseError),
    /// The payload is not a Sparkplug B payload.
    #[error("bad payload: {0}")]
    Payload(#[from] DecodeError),
    /// The payload of the Primary Host's STATE topic is not a STATE message.
    #[error("bad STATE payload: {0}")]
    State(#[from] StateParseError),
}

/// "the edge node" or "device D", for messages.
fn owner(device: &Option<DeviceId>) -> String {
    match device {
        Some(d) => format!("device {d}"),
        None => "the edge node".to_owned(),
    }
}
