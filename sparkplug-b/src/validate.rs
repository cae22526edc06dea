//! Validation of a decoded payload against the rules of its message type.
//!
//! Decoding checks the wire format; this checks the Sparkplug rules that depend on what the
//! message is: which fields must or must not be present, what births must contain, how
//! aliases, templates, DataSets and properties are formed. Every [`Violation`] names the rule
//! by its TCK assertion id, so a host can log it, count it, or refuse the message.

use core::fmt;
use std::collections::HashMap;

use crate::property::QUALITY;
use crate::topic::MessageType;
use crate::{
    DataSet, DataType, Metric, MetricView, Payload, PropertySet, Quality, Template,
    TemplateCatalog, TemplateInstanceError, Value, ValueRef,
};

/// The name of the birth/death sequence metric.
pub const BDSEQ: &str = "bdSeq";
/// The name of the rebirth command metric.
pub const NODE_CONTROL_REBIRTH: &str = "Node Control/Rebirth";

/// A Sparkplug rule a payload can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// An edge message other than NDEATH has no `seq`.
    SeqMissing,
    /// NDEATH carries a `seq`.
    SeqForbidden,
    /// NCMD carries a `seq`.
    SeqInNCmd,
    /// DCMD carries a `seq`.
    SeqInDCmd,
    /// `seq` is above 255.
    SeqOutOfRange,
    /// NBIRTH's `seq` is not 0.
    NBirthSeqNotZero,
    /// The payload has no timestamp.
    TimestampMissing,
    /// A birth or data metric has no timestamp.
    MetricTimestampMissing,
    /// A metric has neither name nor alias.
    NameMissing,
    /// A birth metric has no name.
    BirthNameMissing,
    /// A birth metric has no datatype.
    DatatypeMissing,
    /// A datatype code is not a metric type.
    DatatypeInvalid,
    /// A data or command metric carries a datatype (a recommendation).
    DatatypeInData,
    /// A birth metric has neither a value nor `is_null`.
    BirthValueMissing,
    /// A null metric carries a value.
    NullWithValue,
    /// Two metrics of a birth share an alias.
    AliasNotUnique,
    /// A data or command metric with an alias also carries its name.
    NameWithAlias,
    /// NBIRTH or NDEATH has no `bdSeq` metric.
    BdSeqMissing,
    /// `bdSeq` is not an Int64 (UInt64, from the spec's stale example, is tolerated).
    BdSeqType,
    /// NDEATH carries metrics other than `bdSeq`.
    NDeathExtraMetrics,
    /// NBIRTH has no `Node Control/Rebirth` metric.
    RebirthMissing,
    /// `Node Control/Rebirth` is not a Boolean false in NBIRTH.
    RebirthValue,
    /// `Node Control/Rebirth` has an alias.
    RebirthAliased,
    /// A template definition outside NBIRTH.
    TemplateDefinitionOutsideNBirth,
    /// A template has no `is_definition`.
    TemplateIsDefinitionMissing,
    /// A template definition has a `template_ref`.
    TemplateDefinitionRef,
    /// A template instance has no `template_ref`.
    TemplateInstanceRef,
    /// A template parameter has no name.
    TemplateParameterName,
    /// A template parameter in a birth has no type.
    TemplateParameterTypeMissing,
    /// A template parameter's type is not a basic type.
    TemplateParameterType,
    /// A template parameter has no value.
    TemplateParameterValue,
    /// A template instance in NBIRTH or DBIRTH refers to a template the NBIRTH does not define.
    TemplateUndefined,
    /// A template instance has a member its definition does not list.
    TemplateUnknownMember,
    /// A template instance in a birth lacks a member of its definition.
    TemplateMissingMember,
    /// A template member's datatype or value is not the definition's.
    TemplateMemberType,
    /// A template instance has a parameter its definition does not list, or of another type.
    TemplateInstanceParameter,
    /// Two metrics of one birth have names that differ only by case (a recommendation).
    MetricNameCase,
    /// `num_of_columns` differs from the number of column names.
    DataSetColumnCount,
    /// `columns` and `types` differ in length.
    DataSetTypesCount,
    /// A column type is not a basic type.
    DataSetColumnType,
    /// A property set's keys and values differ in length.
    PropertySetSize,
    /// A property value in a birth has no type.
    PropertyTypeMissing,
    /// A property value's type is not a basic type, PropertySet or PropertySetList.
    PropertyType,
    /// The `Quality` property is not an Int32.
    QualityType,
    /// The `Quality` property is not 0, 192 or 500.
    QualityValue,
}

impl Rule {
    /// The TCK assertion id of the rule (without the `tck-id-` prefix).
    pub const fn tck_id(self) -> &'static str {
        match self {
            Rule::SeqMissing => "payloads-sequence-num-always-included",
            Rule::SeqForbidden => "topics-ndeath-seq",
            Rule::SeqInNCmd => "payloads-ncmd-seq",
            Rule::SeqInDCmd => "payloads-dcmd-seq",
            Rule::SeqOutOfRange => "payloads-sequence-num-incrementing",
            Rule::NBirthSeqNotZero => "topics-nbirth-seq-num",
            Rule::TimestampMissing => "payloads-timestamp-in-UTC",
            Rule::MetricTimestampMissing => "payloads-name-birth-data-requirement",
            Rule::NameMissing => "payloads-name-requirement",
            Rule::BirthNameMissing => "payloads-alias-birth-requirement",
            Rule::DatatypeMissing => "payloads-metric-datatype-req",
            Rule::DatatypeInvalid => "payloads-metric-datatype-value",
            Rule::DatatypeInData => "payloads-metric-datatype-not-req",
            Rule::BirthValueMissing => "topics-nbirth-metrics",
            Rule::NullWithValue => "operational-behavior-data-publish-nbirth-values",
            Rule::AliasNotUnique => "payloads-alias-uniqueness",
            Rule::NameWithAlias => "payloads-alias-data-cmd-requirement",
            Rule::BdSeqMissing => "payloads-nbirth-bdseq",
            Rule::BdSeqType => "message-flow-edge-node-birth-publish-nbirth-payload-bdSeq",
            Rule::NDeathExtraMetrics => "topics-ndeath-payload",
            Rule::RebirthMissing => "payloads-nbirth-rebirth-req",
            Rule::RebirthValue => "topics-nbirth-rebirth-metric",
            Rule::RebirthAliased => "operational-behavior-data-commands-rebirth-name-aliases",
            Rule::TemplateDefinitionOutsideNBirth => "payloads-template-definition-nbirth-only",
            Rule::TemplateIsDefinitionMissing => "payloads-template-is-definition",
            Rule::TemplateDefinitionRef => "payloads-template-definition-ref",
            Rule::TemplateInstanceRef => "payloads-template-instance-ref",
            Rule::TemplateParameterName => "payloads-template-parameter-name-required",
            Rule::TemplateParameterTypeMissing => "payloads-template-parameter-type-req",
            Rule::TemplateParameterType => "payloads-template-parameter-type-value",
            Rule::TemplateParameterValue => "payloads-template-parameter-value",
            Rule::TemplateUndefined => "payloads-template-definition-nbirth",
            Rule::TemplateUnknownMember => "payloads-template-instance-members",
            Rule::TemplateMissingMember => "payloads-template-instance-members-birth",
            Rule::TemplateMemberType => "payloads-template-definition-members",
            Rule::TemplateInstanceParameter => "payloads-template-definition-parameters",
            Rule::MetricNameCase => "case-sensitivity-metric-names",
            Rule::DataSetColumnCount => "payloads-dataset-column-size",
            Rule::DataSetTypesCount => "payloads-dataset-column-num-headers",
            Rule::DataSetColumnType => "payloads-dataset-types-value",
            Rule::PropertySetSize => "payloads-propertyset-keys-array-size",
            Rule::PropertyTypeMissing => "payloads-metric-propertyvalue-type-req",
            Rule::PropertyType => "payloads-metric-propertyvalue-type-value",
            Rule::QualityType => "payloads-propertyset-quality-value-type",
            Rule::QualityValue => "payloads-propertyset-quality-value-value",
        }
    }

    /// The TCK assertion id of the rule as broken by a message of type `message_type`: where
    /// a message type has an assertion of its own (a missing payload timestamp in an NDATA is
    /// `payloads-ndata-timestamp`), that one; otherwise [`Rule::tck_id`].
    pub const fn tck_id_in(self, message_type: MessageType) -> &'static str {
        use MessageType as M;
        match (self, message_type) {
            (Rule::TimestampMissing, M::NBirth) => "topics-nbirth-timestamp",
            (Rule::TimestampMissing, M::DBirth) => "payloads-dbirth-timestamp",
            (Rule::TimestampMissing, M::NData) => "payloads-ndata-timestamp",
            (Rule::TimestampMissing, M::DData) => "payloads-ddata-timestamp",
            (Rule::TimestampMissing, M::DDeath) => "payloads-ddeath-timestamp",
            (Rule::TimestampMissing, M::NCmd) => "payloads-ncmd-timestamp",
            (Rule::TimestampMissing, M::DCmd) => "payloads-dcmd-timestamp",
            (Rule::BirthValueMissing, M::DBirth) => "topics-dbirth-metrics",
            (Rule::NullWithValue, M::DBirth) => "operational-behavior-data-publish-dbirth-values",
            _ => self.tck_id(),
        }
    }

    /// Whether the spec says SHOULD (a recommendation) rather than MUST.
    pub const fn is_recommendation(self) -> bool {
        matches!(self, Rule::DatatypeInData | Rule::MetricNameCase)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tck-id-{}", self.tck_id())
    }
}

/// One broken rule, and where in the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// Where: `payload`, or a path such as `metrics[3]` or `metrics[0].template.parameters[1]`.
    pub location: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.rule)
    }
}

/// The rules a payload breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// The message type it was checked as.
    pub message_type: MessageType,
    /// Every violation found, in payload order.
    pub violations: Vec<Violation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} payload breaks {} rule(s)",
            self.message_type,
            self.violations.len()
        )?;
        for v in &self.violations {
            write!(f, "; {v}")?;
        }
        Ok(())
    }
}

impl ValidationError {
    /// Whether any violation is of a MUST rule (not only recommendations).
    pub fn has_errors(&self) -> bool {
        self.violations.iter().any(|v| !v.rule.is_recommendation())
    }
}

/// Checks `payload` against the rules of `message_type`. STATE messages carry JSON, not a
/// Sparkplug B payload: see [`StateMessage`](crate::topic::StateMessage).
///
/// ```
/// use sparkplug_b::topic::MessageType;
/// use sparkplug_b::validate::{validate, Rule};
/// use sparkplug_b::{Metric, Payload};
///
/// // An NDATA without seq breaks tck-id-payloads-sequence-num-always-included.
/// let ndata = Payload::new(1).with_metric(Metric::aliased(1, 2.0).with_timestamp(1));
/// let err = validate(MessageType::NData, &ndata).unwrap_err();
/// assert_eq!(err.violations[0].rule, Rule::SeqMissing);
/// ```
pub fn validate(message_type: MessageType, payload: &Payload) -> Result<(), ValidationError> {
    validate_in(message_type, payload, None)
}

/// [`validate`], with the template definitions of the node's NBIRTH: every template instance
/// of a DBIRTH, NDATA or DDATA is then checked against its definition too (defined, only its
/// members, all of them in a birth, their datatypes, its parameters and their types). An
/// NBIRTH is always checked against the definitions it carries itself, whatever `templates`
/// holds.
///
/// ```
/// use sparkplug_b::topic::MessageType;
/// use sparkplug_b::validate::{validate_with_templates, Rule};
/// use sparkplug_b::{Metric, Payload, Template, TemplateCatalog};
///
/// let dbirth = Payload::new(1).with_seq(1).with_metric(
///     Metric::new("Pump1", Template::instance("Pump", vec![])).with_timestamp(1),
/// );
/// let err = validate_with_templates(MessageType::DBirth, &dbirth, &TemplateCatalog::new())
///     .unwrap_err();
/// assert_eq!(err.violations[0].rule, Rule::TemplateUndefined);
/// ```
pub fn validate_with_templates(
    message_type: MessageType,
    payload: &Payload,
    templates: &TemplateCatalog,
) -> Result<(), ValidationError> {
    validate_in(message_type, payload, Some(templates))
}

fn validate_in(
    message_type: MessageType,
    payload: &Payload,
    templates: Option<&TemplateCatalog>,
) -> Result<(), ValidationError> {
    let own;
    let templates = if message_type == MessageType::NBirth {
        own = TemplateCatalog::from_birth(payload);
        Some(&own)
    } else {
        templates
    };
    let mut v = Validator {
        out: Vec::new(),
        message_type,
        templates,
    };
    v.payload(payload);
    if v.out.is_empty() {
        Ok(())
    } else {
        Err(ValidationError {
            message_type,
            violations: v.out,
        })
    }
}

/// Checks top-level metric `index` of an NDATA or DDATA payload, appending its violations to
/// `out`: the per-metric part of [`validate`], for a reader that takes the payload one metric
/// at a time. With the payload-level rules (seq and timestamp present, seq at most 255) met,
/// the violations of the whole payload are those of its metrics in order.
///
/// A metric that cannot break a data rule (an alias or a name but not both, a timestamp, no
/// datatype, no properties, no template or DataSet value, not null with a value) costs a few
/// comparisons.
pub(crate) fn check_data_metric(
    message_type: MessageType,
    index: usize,
    metric: &Metric,
    templates: Option<&TemplateCatalog>,
    out: &mut Vec<Violation>,
) {
    let data = matches!(message_type, MessageType::NData | MessageType::DData);
    if data && is_plain_data_metric(metric) {
        return;
    }
    let mut v = Validator {
        out: core::mem::take(out),
        message_type,
        templates,
    };
    v.metric(metric, &At::Index(&At::Payload, "metrics", index), true);
    *out = v.out;
}

/// Whether a top-level data metric meets every rule [`Validator::metric`] checks for NDATA and
/// DDATA, by the few fields those rules read.
#[inline]
fn is_plain_data_metric(m: &Metric) -> bool {
    m.timestamp.is_some()
        && (m.alias.is_some() != m.name.is_some())
        && m.datatype.is_none()
        && !(m.is_null && m.value.is_some())
        && m.properties.is_none()
        && !matches!(m.value, Some(Value::Template(_) | Value::DataSet(_)))
}

/// Whether a top-level NDATA or DDATA metric, as read from the wire, meets every data rule by
/// its form alone: an alias and no name, a timestamp, no datatype, not null, no properties, and
/// a value in a scalar field (int, long, float, double or boolean). Such a metric decodes to a
/// [`Metric`] that breaks no rule of [`check_data_metric`] (its value is the scalar field's
/// natural value: never a template or a DataSet).
#[inline]
pub(crate) fn is_plain_data_view(m: &MetricView<'_>) -> bool {
    m.timestamp.is_some()
        && m.alias.is_some()
        && m.name.is_none()
        && m.datatype.is_none()
        && !m.is_null
        && m.properties.is_none()
        && matches!(
            m.value,
            Some(
                ValueRef::Int(_)
                    | ValueRef::Long(_)
                    | ValueRef::Float(_)
                    | ValueRef::Double(_)
                    | ValueRef::Boolean(_)
            )
        )
}

/// Where in the payload a rule is broken; formatted only when a violation is recorded, so a
/// clean payload costs no allocation.
#[derive(Clone, Copy)]
enum At<'a> {
    /// The payload itself.
    Payload,
    /// `parent.field[index]` (`parent[index]` when `field` is empty).
    Index(&'a At<'a>, &'static str, usize),
    /// `parent.field`.
    Field(&'a At<'a>, &'a str),
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            At::Payload => f.write_str("payload"),
            At::Index(At::Payload, field, i) => write!(f, "{field}[{i}]"),
            At::Index(parent, "", i) => write!(f, "{parent}[{i}]"),
            At::Index(parent, field, i) => write!(f, "{parent}.{field}[{i}]"),
            At::Field(At::Payload, field) => f.write_str(field),
            At::Field(parent, field) => write!(f, "{parent}.{field}"),
        }
    }
}

struct Validator<'t> {
    out: Vec<Violation>,
    message_type: MessageType,
    /// The node's template definitions, when known: instances are checked against them.
    templates: Option<&'t TemplateCatalog>,
}

impl Validator<'_> {
    fn push(&mut self, rule: Rule, at: &At<'_>) {
        self.out.push(Violation {
            rule,
            location: at.to_string(),
        });
    }

    fn is_birth(&self) -> bool {
        matches!(self.message_type, MessageType::NBirth | MessageType::DBirth)
    }

    fn is_data_or_command(&self) -> bool {
        matches!(
            self.message_type,
            MessageType::NData | MessageType::DData | MessageType::NCmd | MessageType::DCmd
        )
    }

    fn payload(&mut self, p: &Payload) {
        use MessageType as M;
        let t = self.message_type;
        match (t, p.seq) {
            (M::NDeath, Some(_)) => self.push(Rule::SeqForbidden, &At::Payload),
            (M::NCmd, Some(_)) => self.push(Rule::SeqInNCmd, &At::Payload),
            (M::DCmd, Some(_)) => self.push(Rule::SeqInDCmd, &At::Payload),
            (M::NDeath | M::NCmd | M::DCmd | M::State, None) => {}
            (_, None) => self.push(Rule::SeqMissing, &At::Payload),
            (_, Some(seq)) if seq > 255 => self.push(Rule::SeqOutOfRange, &At::Payload),
            (M::NBirth, Some(seq)) if seq != 0 => self.push(Rule::NBirthSeqNotZero, &At::Payload),
            _ => {}
        }
        if p.timestamp.is_none() && t != M::NDeath {
            self.push(Rule::TimestampMissing, &At::Payload);
        }
        match t {
            M::NBirth => self.nbirth(p),
            M::NDeath => self.ndeath(p),
            _ => {}
        }
        if self.is_birth() {
            self.unique_aliases(p);
            self.case_distinct_names(p);
        }
        for (i, m) in p.metrics.iter().enumerate() {
            self.metric(m, &At::Index(&At::Payload, "metrics", i), true);
        }
    }

    fn nbirth(&mut self, p: &Payload) {
        match p.metric(BDSEQ) {
            None => self.push(Rule::BdSeqMissing, &At::Payload),
            Some(m) => self.bdseq_type(m),
        }
        match p
            .metrics
            .iter()
            .position(|m| m.name.as_deref() == Some(NODE_CONTROL_REBIRTH))
        {
            None => self.push(Rule::RebirthMissing, &At::Payload),
            Some(i) => {
                let m = &p.metrics[i];
                if m.alias.is_some() {
                    self.push(Rule::RebirthAliased, &At::Index(&At::Payload, "metrics", i));
                }
                if m.datatype != Some(DataType::Boolean) || m.value != Some(Value::Boolean(false)) {
                    self.push(Rule::RebirthValue, &At::Index(&At::Payload, "metrics", i));
                }
            }
        }
    }

    fn ndeath(&mut self, p: &Payload) {
        match p.metric(BDSEQ) {
            None => self.push(Rule::BdSeqMissing, &At::Payload),
            Some(m) => self.bdseq_type(m),
        }
        if p.metrics.len() != 1 {
            self.push(Rule::NDeathExtraMetrics, &At::Payload);
        }
    }

    fn bdseq_type(&mut self, m: &Metric) {
        let ok = matches!(m.value, Some(Value::Int64(_) | Value::UInt64(_)))
            && matches!(m.datatype, Some(DataType::Int64 | DataType::UInt64) | None);
        if !ok {
            self.push(Rule::BdSeqType, &At::Field(&At::Payload, BDSEQ));
        }
    }

    fn unique_aliases(&mut self, p: &Payload) {
        let mut seen = HashMap::new();
        for (i, m) in p.metrics.iter().enumerate() {
            if let Some(alias) = m.alias {
                if seen.insert(alias, i).is_some() {
                    self.push(Rule::AliasNotUnique, &At::Index(&At::Payload, "metrics", i));
                }
            }
        }
    }

    /// `tck-id-case-sensitivity-metric-names`: names that collide when lower-cased.
    fn case_distinct_names(&mut self, p: &Payload) {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for (i, m) in p.metrics.iter().enumerate() {
            let Some(name) = m.name.as_deref() else {
                continue;
            };
            let lower = name.to_lowercase();
            match seen.get(lower.as_str()) {
                Some(first) if *first != name => {
                    self.push(Rule::MetricNameCase, &At::Index(&At::Payload, "metrics", i));
                }
                Some(_) => {}
                None => {
                    seen.insert(lower, name);
                }
            }
        }
    }

    /// `top` is false for template members, whose presence rules are the template's.
    fn metric(&mut self, m: &Metric, at: &At<'_>, top: bool) {
        let birth = self.is_birth();
        if top
            && m.timestamp.is_none()
            && (birth || matches!(self.message_type, MessageType::NData | MessageType::DData))
        {
            self.push(Rule::MetricTimestampMissing, at);
        }
        if birth && m.name.is_none() {
            self.push(Rule::BirthNameMissing, at);
        } else if m.name.is_none() && m.alias.is_none() {
            self.push(Rule::NameMissing, at);
        }
        if top && self.is_data_or_command() {
            if m.alias.is_some() && m.name.is_some() {
                self.push(Rule::NameWithAlias, at);
            }
            if m.datatype.is_some() {
                self.push(Rule::DatatypeInData, at);
            }
        }
        match m.datatype {
            None if birth => self.push(Rule::DatatypeMissing, at),
            Some(dt) if !dt.is_metric_type() => self.push(Rule::DatatypeInvalid, at),
            _ => {}
        }
        if m.is_null && m.value.is_some() {
            self.push(Rule::NullWithValue, at);
        }
        if birth && top && !m.is_null && m.value.is_none() {
            self.push(Rule::BirthValueMissing, at);
        }
        if let Some(props) = &m.properties {
            self.property_set(props, &At::Field(at, "properties"));
        }
        match &m.value {
            Some(Value::Template(t)) => self.template(t, &At::Field(at, "template")),
            Some(Value::DataSet(ds)) => self.dataset(ds, &At::Field(at, "dataset")),
            _ => {}
        }
    }

    fn template(&mut self, t: &Template, at: &At<'_>) {
        match t.is_definition {
            None => self.push(Rule::TemplateIsDefinitionMissing, at),
            Some(true) => {
                if self.message_type != MessageType::NBirth {
                    self.push(Rule::TemplateDefinitionOutsideNBirth, at);
                }
                if t.template_ref.is_some() {
                    self.push(Rule::TemplateDefinitionRef, at);
                }
            }
            Some(false) => {
                if t.template_ref.is_none() {
                    self.push(Rule::TemplateInstanceRef, at);
                } else if let Some(templates) = self.templates {
                    let complete = self.is_birth();
                    if let Err(e) = templates.check_instance_shallow(t, complete) {
                        self.push(instance_rule(&e), at);
                    }
                }
            }
        }
        for (i, p) in t.parameters.iter().enumerate() {
            let here = At::Index(at, "parameters", i);
            if p.name.is_none() {
                self.push(Rule::TemplateParameterName, &here);
            }
            match p.datatype {
                None if self.is_birth() => self.push(Rule::TemplateParameterTypeMissing, &here),
                Some(dt) if !dt.is_basic() => self.push(Rule::TemplateParameterType, &here),
                _ => {}
            }
            if p.value.is_none() {
                self.push(Rule::TemplateParameterValue, &here);
            }
        }
        for (i, m) in t.metrics.iter().enumerate() {
            self.metric(m, &At::Index(at, "metrics", i), false);
        }
    }

    fn dataset(&mut self, ds: &DataSet, at: &At<'_>) {
        if ds.num_of_columns != ds.columns.len() as u64 {
            self.push(Rule::DataSetColumnCount, at);
        }
        if ds.columns.len() != ds.types.len() {
            self.push(Rule::DataSetTypesCount, at);
        }
        if ds.types.iter().any(|t| !t.is_basic()) {
            self.push(Rule::DataSetColumnType, at);
        }
    }

    fn property_set(&mut self, set: &PropertySet, at: &At<'_>) {
        if set.keys.len() != set.values.len() {
            self.push(Rule::PropertySetSize, at);
        }
        for (key, pv) in set.iter() {
            let here = At::Field(at, key);
            match pv.datatype {
                None if self.is_birth() => self.push(Rule::PropertyTypeMissing, &here),
                Some(dt) if !dt.is_property_type() => self.push(Rule::PropertyType, &here),
                _ => {}
            }
            if key == QUALITY {
                match (pv.datatype, &pv.value) {
                    (Some(DataType::Int32), Some(Value::Int32(code))) => {
                        if Quality::from_code(*code).is_none() {
                            self.push(Rule::QualityValue, &here);
                        }
                    }
                    (_, None) => {}
                    _ => self.push(Rule::QualityType, &here),
                }
            }
            match &pv.value {
                Some(Value::PropertySet(inner)) => self.property_set(inner, &here),
                Some(Value::PropertySetList(list)) => {
                    for (i, inner) in list.iter().enumerate() {
                        self.property_set(inner, &At::Index(&here, "", i));
                    }
                }
                _ => {}
            }
        }
    }
}

/// The rule an instance that does not match its definition breaks.
fn instance_rule(e: &TemplateInstanceError) -> Rule {
    use TemplateInstanceError as E;
    match e {
        E::Undefined(_) => Rule::TemplateUndefined,
        E::MissingMember { .. } => Rule::TemplateMissingMember,
        E::MemberType { .. } => Rule::TemplateMemberType,
        E::UnknownParameter { .. } | E::ParameterType { .. } => Rule::TemplateInstanceParameter,
        E::NotAnInstance => Rule::TemplateDefinitionOutsideNBirth,
        E::NoTemplateRef => Rule::TemplateInstanceRef,
        // Unnamed members, unknown members; nested members are visited by the validator.
        _ => Rule::TemplateUnknownMember,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Parameter, PropertyValue};

    fn rules(t: MessageType, p: &Payload) -> Vec<Rule> {
        match validate(t, p) {
            Ok(()) => Vec::new(),
            Err(e) => e.violations.into_iter().map(|v| v.rule).collect(),
        }
    }

    fn nbirth() -> Payload {
        Payload::new(1)
            .with_seq(0)
            .with_metric(Metric::new(BDSEQ, 3i64).with_timestamp(1))
            .with_metric(Metric::new(NODE_CONTROL_REBIRTH, false).with_timestamp(1))
            .with_metric(Metric::new("Temp", 1.5).with_alias(1).with_timestamp(1))
    }

    #[test]
    fn a_good_nbirth_passes() {
        assert_eq!(rules(MessageType::NBirth, &nbirth()), []);
    }

    /// tck-id-payloads-sequence-num-always-included, tck-id-topics-nbirth-seq-num,
    /// tck-id-payloads-ndeath-seq, tck-id-payloads-ncmd-seq, tck-id-payloads-dcmd-seq
    #[test]
    fn seq_presence() {
        let mut p = nbirth();
        p.seq = None;
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::SeqMissing]);
        p.seq = Some(5);
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::NBirthSeqNotZero]);
        p.seq = Some(256);
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::SeqOutOfRange]);
        let death = Payload {
            seq: Some(0),
            ..Payload::default()
        }
        .with_metric(Metric::new(BDSEQ, 0i64));
        assert_eq!(rules(MessageType::NDeath, &death), [Rule::SeqForbidden]);
        let cmd = Payload::new(1)
            .with_seq(0)
            .with_metric(Metric::new(NODE_CONTROL_REBIRTH, true).without_datatype());
        assert_eq!(rules(MessageType::NCmd, &cmd), [Rule::SeqInNCmd]);
        assert_eq!(rules(MessageType::DCmd, &cmd), [Rule::SeqInDCmd]);
    }

    /// tck-id-payloads-nbirth-bdseq, tck-id-payloads-nbirth-rebirth-req,
    /// tck-id-operational-behavior-data-commands-rebirth-name-aliases,
    /// tck-id-topics-nbirth-rebirth-metric
    #[test]
    fn nbirth_needs_bdseq_and_an_unaliased_rebirth_false() {
        let mut p = nbirth();
        p.metrics.remove(0);
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::BdSeqMissing]);
        let mut p = nbirth();
        p.metrics[1].alias = Some(0);
        p.metrics[1].value = Some(Value::Boolean(true));
        assert_eq!(
            rules(MessageType::NBirth, &p),
            [Rule::RebirthAliased, Rule::RebirthValue]
        );
        let mut p = nbirth();
        p.metrics.remove(1);
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::RebirthMissing]);
    }

    /// tck-id-topics-dbirth-metrics, tck-id-operational-behavior-data-publish-dbirth-values:
    /// a DBIRTH metric carries its current value or is null with no value, and a violation
    /// names the DBIRTH's own assertions.
    #[test]
    fn dbirth_values_are_current_or_null() {
        let good = Payload::new(1)
            .with_seq(1)
            .with_metric(Metric::new("Speed", 1.0).with_timestamp(1))
            .with_metric(Metric::null("Mode", DataType::String).with_timestamp(1));
        assert_eq!(rules(MessageType::DBirth, &good), []);
        let bad = Payload::new(1)
            .with_seq(1)
            .with_metric(Metric {
                value: None,
                ..Metric::new("NoValue", 1.0).with_timestamp(1)
            })
            .with_metric(Metric {
                is_null: true,
                ..Metric::new("NullWithValue", 1.0).with_timestamp(1)
            });
        let found = rules(MessageType::DBirth, &bad);
        assert_eq!(found, [Rule::BirthValueMissing, Rule::NullWithValue]);
        let ids: Vec<_> = found
            .iter()
            .map(|r| r.tck_id_in(MessageType::DBirth))
            .collect();
        assert_eq!(
            ids,
            [
                "topics-dbirth-metrics",
                "operational-behavior-data-publish-dbirth-values"
            ]
        );
    }

    /// tck-id-payloads-metric-datatype-req, tck-id-topics-nbirth-metrics,
    /// tck-id-payloads-name-birth-data-requirement, tck-id-payloads-alias-uniqueness
    #[test]
    fn birth_metrics() {
        let p = nbirth()
            .with_metric(
                Metric::new("NoType", 1.0)
                    .without_datatype()
                    .with_timestamp(1),
            )
            .with_metric(Metric {
                value: None,
                ..Metric::new("NoValue", 1.0).with_timestamp(1)
            })
            .with_metric(Metric::new("NoTs", 1.0))
            .with_metric(Metric::new("Dup", 1.0).with_alias(1).with_timestamp(1))
            .with_metric(Metric::null("Null", DataType::Double).with_timestamp(1));
        assert_eq!(
            rules(MessageType::NBirth, &p),
            [
                Rule::AliasNotUnique,
                Rule::DatatypeMissing,
                Rule::BirthValueMissing,
                Rule::MetricTimestampMissing
            ]
        );
    }

    /// tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-metric-datatype-not-req,
    /// tck-id-payloads-name-requirement
    #[test]
    fn data_metrics() {
        let p = Payload::new(1)
            .with_seq(1)
            .with_metric(Metric::aliased(1, 1.0).with_timestamp(1))
            .with_metric(Metric::new("Temp", 1.0).with_alias(1).with_timestamp(1))
            .with_metric(Metric {
                timestamp: Some(1),
                ..Metric::default()
            });
        let err = validate(MessageType::NData, &p).unwrap_err();
        let found: Vec<_> = err
            .violations
            .iter()
            .map(|v| (v.rule, v.location.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (Rule::NameWithAlias, "metrics[1]"),
                (Rule::DatatypeInData, "metrics[1]"),
                (Rule::NameMissing, "metrics[2]"),
            ]
        );
        assert!(err.has_errors());
        let only_should = Payload::new(1)
            .with_seq(1)
            .with_metric(Metric::new("x", 1.0).with_timestamp(1));
        assert!(
            !validate(MessageType::DData, &only_should)
                .unwrap_err()
                .has_errors()
        );
    }

    /// tck-id-payloads-name-birth-data-requirement, tck-id-payloads-name-requirement,
    /// tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-metric-datatype-not-req:
    /// checking the metrics of a data payload one at a time finds what `validate` finds, for
    /// every combination of the fields the data rules read.
    #[test]
    fn metric_by_metric_checks_agree_with_validate() {
        let mut props = PropertySet::new().with(QUALITY, PropertyValue::new(7i32));
        props.keys.push("orphan".into());
        let values = [
            None,
            Some(Value::Double(1.0)),
            Some(Value::DataSet(Box::new(DataSet::new([(
                "a",
                DataType::Int32,
            )])))),
            Some(Value::Template(Box::new(Template::instance("T", vec![])))),
        ];
        let mut metrics = Vec::new();
        for bits in 0..64u32 {
            for value in &values {
                let bit = |i: u32| bits & (1 << i) != 0;
                metrics.push(Metric {
                    name: bit(0).then(|| "m".to_owned()),
                    alias: bit(1).then_some(4),
                    timestamp: bit(2).then_some(1),
                    datatype: bit(3).then_some(DataType::Double),
                    is_null: bit(4),
                    properties: bit(5).then(|| props.clone()),
                    value: value.clone(),
                    ..Metric::default()
                });
            }
        }
        let mut clean = 0;
        for message_type in [MessageType::NData, MessageType::DData, MessageType::NCmd] {
            let payload = Payload {
                metrics: metrics.clone(),
                ..Payload::new(1).with_seq(1)
            };
            let payload = if message_type == MessageType::NCmd {
                Payload {
                    seq: None,
                    ..payload
                }
            } else {
                payload
            };
            let whole = validate(message_type, &payload).map_or_else(|e| e.violations, |()| vec![]);
            let mut one_by_one = Vec::new();
            for (i, m) in payload.metrics.iter().enumerate() {
                check_data_metric(message_type, i, m, None, &mut one_by_one);
                clean += usize::from(is_plain_data_metric(m));
            }
            assert_eq!(one_by_one, whole, "{message_type}");
        }
        assert!(clean > 0, "the plain case is covered");
        // What the wire form calls plain decodes to a metric that is plain.
        let mut plain_views = 0;
        for m in &metrics {
            let payload = Payload::new(1).with_seq(1).with_metric(m.clone());
            let Ok(bytes) = payload.encode_to_vec() else {
                continue;
            };
            let view = crate::PayloadView::new(&bytes).unwrap();
            let view = view.metrics().next().unwrap().unwrap();
            if is_plain_data_view(&view) {
                plain_views += 1;
                let decoded = Payload::decode(&bytes).unwrap();
                assert!(is_plain_data_metric(&decoded.metrics[0]), "{m:?}");
            }
        }
        assert!(plain_views > 0);
    }

    /// tck-id-topics-ndeath-payload
    #[test]
    fn ndeath_is_bdseq_alone() {
        let p = Payload::default().with_metric(Metric::new(BDSEQ, 0i64));
        assert_eq!(rules(MessageType::NDeath, &p), []);
        let p = p.with_metric(Metric::new("x", 1.0));
        assert_eq!(rules(MessageType::NDeath, &p), [Rule::NDeathExtraMetrics]);
        let p = Payload::default().with_metric(Metric::new(BDSEQ, "3"));
        assert_eq!(rules(MessageType::NDeath, &p), [Rule::BdSeqType]);
    }

    /// tck-id-payloads-template-definition-nbirth-only, tck-id-payloads-template-definition-ref,
    /// tck-id-payloads-template-instance-ref, tck-id-payloads-template-is-definition,
    /// tck-id-payloads-template-parameter-name-required,
    /// tck-id-payloads-template-parameter-type-value, tck-id-payloads-template-parameter-value
    #[test]
    fn templates() {
        let def = Template::definition(vec![Metric::new("m", 0i32)])
            .with_parameter(Parameter::new("p", "d"))
            .with_parameter(Parameter {
                name: None,
                datatype: Some(DataType::Bytes),
                value: None,
            });
        let p = nbirth().with_metric(Metric::new("T", def.clone()).with_timestamp(1));
        assert_eq!(
            rules(MessageType::NBirth, &p),
            [
                Rule::TemplateParameterName,
                Rule::TemplateParameterType,
                Rule::TemplateParameterValue
            ]
        );
        let good_def = Template::definition(vec![Metric::new("m", 0i32)]);
        let dbirth = Payload::new(1)
            .with_seq(1)
            .with_metric(Metric::new("T", good_def).with_timestamp(1));
        assert_eq!(
            rules(MessageType::DBirth, &dbirth),
            [Rule::TemplateDefinitionOutsideNBirth]
        );
        let mut inst = Template::instance("T", vec![Metric::new("m", 1i32)]);
        inst.template_ref = None;
        inst.is_definition = None;
        let p = nbirth().with_metric(Metric::new("i", inst).with_timestamp(1));
        assert_eq!(
            rules(MessageType::NBirth, &p),
            [Rule::TemplateIsDefinitionMissing]
        );
    }

    /// tck-id-payloads-dataset-column-size, tck-id-payloads-dataset-column-num-headers,
    /// tck-id-payloads-dataset-types-value
    #[test]
    fn datasets() {
        let mut ds = DataSet::new([("a", DataType::Int32)]);
        ds.types.push(DataType::Bytes);
        ds.num_of_columns = 3;
        let p = nbirth().with_metric(Metric::new("ds", ds).with_timestamp(1));
        assert_eq!(
            rules(MessageType::NBirth, &p),
            [
                Rule::DataSetColumnCount,
                Rule::DataSetTypesCount,
                Rule::DataSetColumnType
            ]
        );
    }

    /// tck-id-payloads-propertyset-keys-array-size, tck-id-payloads-metric-propertyvalue-type-req,
    /// tck-id-payloads-metric-propertyvalue-type-value,
    /// tck-id-payloads-propertyset-quality-value-type and
    /// tck-id-payloads-propertyset-quality-value-value
    #[test]
    fn properties() {
        let mut set = PropertySet::new()
            .with(QUALITY, PropertyValue::new(7i32))
            .with(
                "untyped",
                PropertyValue {
                    datatype: None,
                    ..PropertyValue::new(1.0)
                },
            )
            .with("bad", PropertyValue::new(vec![1u8]));
        set.keys.push("orphan".into());
        let p = nbirth().with_metric(Metric::new("x", 1.0).with_timestamp(1).with_properties(set));
        assert_eq!(
            rules(MessageType::NBirth, &p),
            [
                Rule::PropertySetSize,
                Rule::QualityValue,
                Rule::PropertyTypeMissing,
                Rule::PropertyType
            ]
        );
        let wrong = PropertySet::new().with(QUALITY, PropertyValue::new(192i64));
        let p = nbirth().with_metric(
            Metric::new("y", 1.0)
                .with_timestamp(1)
                .with_properties(wrong),
        );
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::QualityType]);
    }

    fn motor_definition() -> Template {
        Template::definition(vec![
            Metric::new("Speed", 0.0),
            Metric::new("Running", false),
        ])
        .with_parameter(Parameter::new("Rated", 1500u32))
        .with_version("2")
    }

    fn motor(members: Vec<Metric>) -> Metric {
        Metric::new("Motor1", Template::instance("Motor", members)).with_timestamp(1)
    }

    /// tck-id-payloads-template-parameter-type-req: a parameter in a birth carries its type;
    /// one without is a violation, whatever its value.
    #[test]
    fn template_parameters_in_births_need_a_type() {
        let def = Template::definition(vec![Metric::new("m", 0i32)]).with_parameter(Parameter {
            name: Some("p".into()),
            datatype: None,
            value: None,
        });
        let p = nbirth().with_metric(Metric::new("T", def).with_timestamp(1));
        let found = rules(MessageType::NBirth, &p);
        assert!(
            found.contains(&Rule::TemplateParameterTypeMissing),
            "{found:?}"
        );
        assert_eq!(
            Rule::TemplateParameterTypeMissing.tck_id(),
            "payloads-template-parameter-type-req"
        );
    }

    /// tck-id-payloads-template-definition-nbirth, tck-id-topics-nbirth-templates: an NBIRTH
    /// instance of a template the NBIRTH does not define, at the top or nested in a member.
    #[test]
    fn nbirth_instances_need_their_definition_in_the_nbirth() {
        let members = || vec![Metric::new("Speed", 1.0), Metric::new("Running", true)];
        let p = nbirth().with_metric(motor(members()));
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::TemplateUndefined]);
        let p = nbirth()
            .with_metric(Metric::new("Motor", motor_definition()).with_timestamp(1))
            .with_metric(motor(members()));
        assert_eq!(rules(MessageType::NBirth, &p), []);
        let nested = Template::definition(vec![Metric::new(
            "Inner",
            Template::instance("Pump", vec![]),
        )]);
        let p = nbirth().with_metric(Metric::new("Line", nested).with_timestamp(1));
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::TemplateUndefined]);
    }

    /// tck-id-payloads-template-definition-nbirth, tck-id-payloads-template-instance-members,
    /// tck-id-payloads-template-instance-members-birth,
    /// tck-id-payloads-template-instance-members-data, tck-id-payloads-template-definition-members,
    /// tck-id-payloads-template-definition-parameters,
    /// tck-id-payloads-template-instance-parameters:
    /// DBIRTH and DDATA instances checked against the NBIRTH's definitions.
    #[test]
    fn instances_are_checked_against_the_nbirths_definitions() {
        let mut catalog = TemplateCatalog::new();
        catalog.define("Motor", motor_definition()).unwrap();
        let dbirth = |m: Metric| Payload::new(1).with_seq(1).with_metric(m);
        let check = |t: MessageType, p: &Payload| match validate_with_templates(t, p, &catalog) {
            Ok(()) => Vec::new(),
            Err(e) => e.violations.into_iter().map(|v| v.rule).collect(),
        };
        let full = || vec![Metric::new("Speed", 1.0), Metric::new("Running", true)];
        assert_eq!(check(MessageType::DBirth, &dbirth(motor(full()))), []);
        // A parameter override of the right type is fine, of the wrong one is not.
        let with_param = |p: Parameter| {
            let mut m = motor(full());
            if let Some(Value::Template(t)) = &mut m.value {
                t.parameters.push(p);
            }
            dbirth(m)
        };
        assert_eq!(
            check(
                MessageType::DBirth,
                &with_param(Parameter::new("Rated", 3000u32))
            ),
            []
        );
        assert_eq!(
            check(
                MessageType::DBirth,
                &with_param(Parameter::new("Rated", "x"))
            ),
            [Rule::TemplateInstanceParameter]
        );
        assert_eq!(
            check(
                MessageType::DBirth,
                &with_param(Parameter::new("Other", 1u32))
            ),
            [Rule::TemplateInstanceParameter]
        );
        let partial = dbirth(motor(vec![Metric::new("Speed", 1.0)]));
        assert_eq!(
            check(MessageType::DBirth, &partial),
            [Rule::TemplateMissingMember]
        );
        let extra = dbirth(motor(
            full()
                .into_iter()
                .chain([Metric::new("Torque", 1.0)])
                .collect(),
        ));
        assert_eq!(
            check(MessageType::DBirth, &extra),
            [Rule::TemplateUnknownMember]
        );
        let mistyped = dbirth(motor(vec![
            Metric::new("Speed", 1i32),
            Metric::new("Running", true),
        ]));
        assert_eq!(
            check(MessageType::DBirth, &mistyped),
            [Rule::TemplateMemberType]
        );
        let mut undefined = motor(full());
        if let Some(Value::Template(t)) = &mut undefined.value {
            t.template_ref = Some("Pump".into());
        }
        assert_eq!(
            check(MessageType::DBirth, &dbirth(undefined)),
            [Rule::TemplateUndefined]
        );
        // In data, a subset of members (by name or alias) is fine.
        let ddata = Payload::new(1).with_seq(2).with_metric(Metric {
            name: None,
            alias: Some(3),
            datatype: None,
            ..motor(vec![
                Metric::new("Speed", 2.0).without_datatype(),
                Metric::aliased(9, true),
            ])
        });
        assert_eq!(check(MessageType::DData, &ddata), []);
        // Without the catalogue, validate() cannot know.
        assert_eq!(rules(MessageType::DBirth, &partial), []);
    }

    /// tck-id-case-sensitivity-metric-names: names of one birth that differ only by case (a
    /// SHOULD NOT, so a recommendation).
    #[test]
    fn birth_names_differing_only_by_case() {
        let p = nbirth().with_metric(Metric::new("temp", 1.0).with_alias(2).with_timestamp(1));
        assert_eq!(rules(MessageType::NBirth, &p), [Rule::MetricNameCase]);
        let err = validate(MessageType::NBirth, &p).unwrap_err();
        assert!(!err.has_errors());
        assert_eq!(err.violations[0].location, "metrics[3]");
        assert_eq!(
            Rule::MetricNameCase.tck_id(),
            "case-sensitivity-metric-names"
        );
    }
}
