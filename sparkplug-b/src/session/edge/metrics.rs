//! The metric store of an edge node: definitions, current values, report by exception.
//!
//! Each metric remembers its current value (what the next birth carries) and the value it last
//! reported (in a birth, a data message or the store-and-forward buffer). [`MetricSet::take_changes`]
//! yields the metrics whose current value differs from the reported one by more than their
//! deadband (`tck-id-principles-rbe-recommended`), and makes it the reported one.

use std::collections::HashMap;

use crate::property::QUALITY;
use crate::session::Timestamp;
use crate::validate::{BDSEQ, NODE_CONTROL_REBIRTH};
use crate::{
    DataType, EncodeOptions, MetaData, Metric, Payload, PropertySet, PropertyValue, Quality,
    Template, TemplateCatalog, Value,
};

use super::error::{MetricSpecError, SetMetricError};

/// The definition of a metric: what its births declare.
///
/// ```
/// use sparkplug_b::session::MetricSpec;
/// use sparkplug_b::{DataType, PropertySet, PropertyValue};
///
/// let temp = MetricSpec::new("Brine/Temp", DataType::Double)
///     .with_value(-8.5)
///     .with_deadband(0.05)
///     .with_properties(PropertySet::new().with("engUnit", PropertyValue::new("degC")));
/// let alarm = MetricSpec::with_initial("Alarms/HighPressure", false);
/// assert_eq!(alarm.datatype, DataType::Boolean);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricSpec {
    /// The metric name, `/` separating folders.
    pub name: String,
    /// The datatype, fixed for the session.
    pub datatype: DataType,
    /// Properties (engineering units, ...), published in births only.
    pub properties: Option<PropertySet>,
    /// For numeric datatypes: report a new value only when it moved more than this from the
    /// last reported one. `None` reports every change.
    pub deadband: Option<f64>,
    /// The value until the first `set_metric`; `None` is null (`is_null` in the birth).
    pub initial: Option<Value>,
    /// For a Template metric: report-by-exception deadbands of its numeric members, by member
    /// name. A member without one reports every change.
    pub member_deadbands: Vec<(String, f64)>,
    /// Published with `is_transient`: hosts should not historize it (SPARKPLUG.md 3.7).
    pub transient: bool,
    /// Metadata of a Bytes or File value (file name and type, content type, size, md5,
    /// multi-part), carried by births and by data with each new value.
    pub metadata: Option<MetaData>,
}

impl MetricSpec {
    /// A metric of `datatype` whose value is null until set.
    pub fn new(name: impl Into<String>, datatype: DataType) -> Self {
        MetricSpec {
            name: name.into(),
            datatype,
            properties: None,
            deadband: None,
            initial: None,
            member_deadbands: Vec::new(),
            transient: false,
            metadata: None,
        }
    }

    /// A metric whose datatype is its initial value's.
    pub fn with_initial(name: impl Into<String>, value: impl Into<Value>) -> Self {
        let value = value.into();
        MetricSpec {
            datatype: value.data_type(),
            initial: Some(value),
            ..MetricSpec::new(name, DataType::Unknown)
        }
    }

    /// Sets the initial value (builder style); its datatype must be the metric's.
    pub fn with_value(mut self, value: impl Into<Value>) -> Self {
        self.initial = Some(value.into());
        self
    }

    /// Sets the properties (builder style).
    pub fn with_properties(mut self, properties: PropertySet) -> Self {
        self.properties = Some(properties);
        self
    }

    /// Sets the report-by-exception deadband (builder style).
    pub fn with_deadband(mut self, deadband: f64) -> Self {
        self.deadband = Some(deadband);
        self
    }

    /// Sets the metadata of a Bytes or File metric (builder style). Its `size`, when given and
    /// the value is not one part of a multi-part transfer, must be the value's length; its
    /// `md5`, when given, 32 hex digits.
    pub fn with_metadata(mut self, metadata: MetaData) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Marks the metric transient (builder style): births and data carry `is_transient`, so
    /// hosts do not historize it.
    pub fn transient(mut self) -> Self {
        self.transient = true;
        self
    }

    /// For a Template metric, sets the report-by-exception deadband of one numeric member
    /// (builder style): a change of that member is published when it moved more than this
    /// from the member's last reported value.
    pub fn with_member_deadband(mut self, member: impl Into<String>, deadband: f64) -> Self {
        self.member_deadbands.push((member.into(), deadband));
        self
    }
}

/// A metric with its state.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) alias: Option<u64>,
    pub(super) datatype: DataType,
    properties: Option<PropertySet>,
    deadband: Option<f64>,
    member_deadbands: Vec<(String, f64)>,
    pub(super) transient: bool,
    /// The metadata of the current value.
    metadata: Option<MetaData>,
    /// The current value; `None` is null.
    pub(super) value: Option<Value>,
    /// When the current value was set.
    pub(super) timestamp: Timestamp,
    /// The value last reported.
    reported: Option<Value>,
    /// The quality of the current value: GOOD unless the application said otherwise
    /// ([`MetricSet::set_quality`]); a new value is GOOD again.
    quality: Quality,
    /// The quality last reported.
    reported_quality: Quality,
}

impl Entry {
    /// The metric as a birth declares it, stamped `now`.
    pub(super) fn birth_metric(&self, now: Timestamp) -> Metric {
        Metric {
            name: Some(self.name.clone()),
            alias: self.alias,
            timestamp: Some(now.as_millis()),
            datatype: Some(self.datatype),
            is_null: self.value.is_none(),
            is_transient: self.transient,
            metadata: self.metadata.clone().map(Box::new),
            properties: with_quality(self.properties.clone(), self.quality),
            value: self.value.clone(),
            ..Metric::default()
        }
    }

    /// Whether the current value is to be reported: for a template instance, whether one of
    /// its members moved past its deadband or its parameters changed.
    fn changed(&self) -> bool {
        if self.quality != self.reported_quality {
            return true;
        }
        match (&self.reported, &self.value) {
            (Some(Value::Template(old)), Some(Value::Template(new))) => {
                old.parameters != new.parameters
                    || !changed_members(old, new, &self.member_deadbands).is_empty()
            }
            (old, new) => moved(old.as_ref(), new.as_ref(), self.deadband),
        }
    }
}

fn member_deadband(deadbands: &[(String, f64)], name: &str) -> Option<f64> {
    deadbands.iter().find(|(n, _)| n == name).map(|(_, d)| *d)
}

/// Whether a value moved from `old` to `new` by more than `deadband` (any change without one).
fn moved(old: Option<&Value>, new: Option<&Value>, deadband: Option<f64>) -> bool {
    match (old, new, deadband) {
        (Some(old), Some(new), Some(deadband)) => match (old.as_f64(), new.as_f64()) {
            (Some(old), Some(new)) if old.is_nan() || new.is_nan() => old.is_nan() != new.is_nan(),
            (Some(old), Some(new)) => (new - old).abs() > deadband,
            _ => old != new,
        },
        (old, new, _) => old != new,
    }
}

/// The positions in `new` of the members that differ from their last reported form in `old`
/// (value past the member's deadband, or null-ness, or a member `old` lacks).
fn changed_members(old: &Template, new: &Template, deadbands: &[(String, f64)]) -> Vec<usize> {
    new.metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            let before = old.metrics.iter().find(|o| o.name == m.name);
            match (before, m.name.as_deref()) {
                (Some(o), Some(name)) => moved(
                    o.value.as_ref(),
                    m.value.as_ref(),
                    member_deadband(deadbands, name),
                ),
                _ => true,
            }
        })
        .map(|(i, _)| i)
        .collect()
}

/// One value to publish in a data message (live or from the store-and-forward buffer).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Change {
    pub(super) name: String,
    pub(super) alias: Option<u64>,
    pub(super) value: Option<Value>,
    pub(super) timestamp: Timestamp,
    /// The value's quality: a `Quality` property goes with it when it is not GOOD.
    pub(super) quality: Quality,
    /// Sent with `is_transient`.
    pub(super) transient: bool,
    /// The value's metadata (Bytes and File values).
    pub(super) metadata: Option<MetaData>,
}

impl Change {
    /// The metric as NDATA/DDATA carry it: alias alone when there is one, else the name; no
    /// datatype (`tck-id-payloads-alias-data-cmd-requirement`,
    /// `tck-id-payloads-metric-datatype-not-req`).
    pub(super) fn data_metric(&self, historical: bool) -> Metric {
        Metric {
            name: self.alias.is_none().then(|| self.name.clone()),
            alias: self.alias,
            timestamp: Some(self.timestamp.as_millis()),
            is_historical: historical,
            is_transient: self.transient,
            is_null: self.value.is_none(),
            metadata: self.metadata.clone().map(Box::new),
            properties: with_quality(None, self.quality),
            value: self.value.clone(),
            ..Metric::default()
        }
    }
}

/// `properties` with the `Quality` property (Int32 code: `tck-id-payloads-propertyset-quality-value-type`)
/// when `quality` is not GOOD; GOOD is what no `Quality` property means (SPARKPLUG.md 3.6).
fn with_quality(properties: Option<PropertySet>, quality: Quality) -> Option<PropertySet> {
    if quality == Quality::Good {
        return properties;
    }
    let mut set = properties.unwrap_or_default();
    set.insert(QUALITY, PropertyValue::new(quality.code()));
    Some(set)
}

/// The metrics of the node or of one device, in definition order.
#[derive(Debug, Clone, Default)]
pub(super) struct MetricSet {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    /// Each name lower-cased, to the name: two names of one birth must not differ only by
    /// case (`tck-id-case-sensitivity-metric-names`).
    by_lower: HashMap<String, String>,
}

impl MetricSet {
    /// Checks that `spec` can join this set (`node` adds the node's reserved names and the
    /// names of its template definitions); a Template metric's initial value must be an
    /// instance that matches its definition in `templates`.
    pub(super) fn check(
        &self,
        spec: &MetricSpec,
        node: bool,
        templates: &TemplateCatalog,
        options: &EncodeOptions,
    ) -> Result<(), MetricSpecError> {
        let name = &spec.name;
        if name.is_empty() {
            return Err(MetricSpecError::EmptyName);
        }
        if node && is_reserved(name) {
            return Err(MetricSpecError::ReservedName(name.clone()));
        }
        if self.by_name.contains_key(name) || (node && templates.contains(name)) {
            return Err(MetricSpecError::DuplicateName(name.clone()));
        }
        let taken = self.name_like(name).or_else(|| {
            node.then(|| {
                templates
                    .iter()
                    .map(|(n, _)| n)
                    .find(|n| same_but_case(n, name))
            })
            .flatten()
        });
        if let Some(existing) = taken {
            return Err(MetricSpecError::NameDiffersOnlyByCase {
                name: name.clone(),
                existing: existing.to_owned(),
            });
        }
        if !spec.datatype.is_metric_type() {
            return Err(MetricSpecError::NotAMetricType {
                name: name.clone(),
                datatype: spec.datatype,
            });
        }
        if let Some(v) = &spec.initial {
            if v.data_type() != spec.datatype {
                return Err(MetricSpecError::InitialValueType {
                    name: name.clone(),
                    expected: spec.datatype,
                    found: v.data_type(),
                });
            }
        }
        if let Some(d) = spec.deadband {
            if !is_numeric(spec.datatype) || !d.is_finite() || d < 0.0 {
                return Err(MetricSpecError::InvalidDeadband { name: name.clone() });
            }
        }
        if spec.datatype == DataType::Template {
            match &spec.initial {
                Some(Value::Template(t)) if t.is_definition == Some(true) => {
                    return Err(MetricSpecError::TemplateDefinition(name.clone()));
                }
                Some(Value::Template(t)) => {
                    templates.check_instance(t, true).map_err(|source| {
                        MetricSpecError::TemplateInstance {
                            name: name.clone(),
                            source,
                        }
                    })?
                }
                _ => return Err(MetricSpecError::TemplateWithoutInstance(name.clone())),
            }
        }
        if let Some(md) = &spec.metadata {
            check_metadata(name, md, spec.initial.as_ref())?;
        }
        for (member, d) in &spec.member_deadbands {
            let numeric = match &spec.initial {
                Some(Value::Template(t)) => t
                    .metrics
                    .iter()
                    .find(|m| m.name.as_deref() == Some(member.as_str()))
                    .and_then(|m| m.datatype)
                    .is_some_and(is_numeric),
                _ => false,
            };
            if !numeric || !d.is_finite() || *d < 0.0 {
                return Err(MetricSpecError::InvalidDeadband {
                    name: format!("{name}/{member}"),
                });
            }
        }
        let metric = Metric {
            value: spec.initial.clone(),
            properties: spec.properties.clone(),
            ..Metric::default()
        };
        encodable(metric, options).map_err(|source| MetricSpecError::Unencodable {
            name: name.clone(),
            source,
        })
    }

    /// A name of this set that differs from `name` only by case.
    pub(super) fn name_like(&self, name: &str) -> Option<&str> {
        self.by_lower
            .get(&name.to_lowercase())
            .map(String::as_str)
            .filter(|n| *n != name)
    }

    /// Adds a metric that [`MetricSet::check`] accepted.
    pub(super) fn insert(&mut self, spec: MetricSpec, alias: Option<u64>, now: Timestamp) {
        self.by_name.insert(spec.name.clone(), self.entries.len());
        self.by_lower
            .insert(spec.name.to_lowercase(), spec.name.clone());
        self.entries.push(Entry {
            name: spec.name,
            alias,
            datatype: spec.datatype,
            properties: spec.properties,
            deadband: spec.deadband,
            member_deadbands: spec.member_deadbands,
            transient: spec.transient,
            metadata: spec.metadata,
            reported: spec.initial.clone(),
            value: spec.initial,
            timestamp: now,
            quality: Quality::Good,
            reported_quality: Quality::Good,
        });
    }

    /// The metric named `name`.
    pub(super) fn get(&self, name: &str) -> Option<&Entry> {
        self.by_name.get(name).and_then(|&i| self.entries.get(i))
    }

    /// Every metric, in definition order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Records a new value (`None` for null) of the metric `name`, acquired at `now`; a
    /// template value must be a complete instance of the metric's template in `templates`.
    /// `Err(None)` when there is no such metric.
    pub(super) fn set(
        &mut self,
        now: Timestamp,
        name: &str,
        value: Option<Value>,
        templates: &TemplateCatalog,
        options: &EncodeOptions,
    ) -> Result<(), Option<SetMetricError>> {
        let Some(entry) = self
            .by_name
            .get(name)
            .and_then(|&i| self.entries.get_mut(i))
        else {
            return self.set_member(now, name, value, options);
        };
        if let Some(v) = &value {
            if v.data_type() != entry.datatype {
                return Err(Some(SetMetricError::TypeMismatch {
                    name: entry.name.clone(),
                    expected: entry.datatype,
                    found: v.data_type(),
                }));
            }
            if let Value::Template(t) = v {
                let born_as = match &entry.value {
                    Some(Value::Template(old)) => old.template_ref.as_deref(),
                    _ => None,
                };
                if let (Some(old), Some(new)) = (born_as, t.template_ref.as_deref()) {
                    if old != new {
                        return Err(Some(SetMetricError::TemplateChanged {
                            name: entry.name.clone(),
                            born: old.to_owned(),
                            found: new.to_owned(),
                        }));
                    }
                }
                templates.check_instance(t, true).map_err(|source| {
                    Some(SetMetricError::TemplateInstance {
                        name: entry.name.clone(),
                        source,
                    })
                })?;
            }
            check_encodable(v, options, || entry.name.clone())?;
        }
        if let Some(md) = &mut entry.metadata {
            // The metadata describes the new value: its size follows it, and an md5 of the
            // old content no longer holds (set_metadata gives both for the new one).
            if !md.is_multi_part.unwrap_or(false) {
                if let Some(len) = value.as_ref().and_then(byte_len) {
                    md.size = md.size.map(|_| len);
                }
                md.md5 = None;
            }
        }
        entry.value = value;
        entry.timestamp = now;
        entry.quality = Quality::Good;
        Ok(())
    }

    /// Replaces the metadata of the metric `name` (checked against its current value), as of
    /// `now`: the next data message carries the value with it. `Err(None)` when there is no
    /// such metric.
    pub(super) fn set_metadata(
        &mut self,
        now: Timestamp,
        name: &str,
        metadata: MetaData,
    ) -> Result<(), Option<SetMetricError>> {
        let entry = self
            .by_name
            .get(name)
            .and_then(|&i| self.entries.get_mut(i))
            .ok_or(None)?;
        check_metadata(&entry.name, &metadata, entry.value.as_ref()).map_err(|e| match e {
            MetricSpecError::InvalidMetadata { name, problem } => {
                Some(SetMetricError::InvalidMetadata { name, problem })
            }
            _ => None,
        })?;
        entry.metadata = Some(metadata);
        entry.timestamp = now;
        // Reported with the value: force the next data message to carry it.
        entry.reported = None;
        Ok(())
    }

    /// Sets the quality of the metric `name`'s current value (a failed sensor: BAD), as of
    /// `now`; `false` when there is no such metric. The next data message reports it with the
    /// `Quality` property; a new value is GOOD again.
    pub(super) fn set_quality(&mut self, now: Timestamp, name: &str, quality: Quality) -> bool {
        match self
            .by_name
            .get(name)
            .and_then(|&i| self.entries.get_mut(i))
        {
            Some(entry) => {
                entry.quality = quality;
                entry.timestamp = now;
                true
            }
            None => false,
        }
    }

    /// Records a new value of the member at `path` (`Instance/Member`, `Instance/Inner/Member`
    /// for nested templates) of a Template metric: typed as the member is. The next data
    /// message carries the instance with its changed members
    /// (`tck-id-payloads-template-instance-members-data`).
    fn set_member(
        &mut self,
        now: Timestamp,
        path: &str,
        value: Option<Value>,
        options: &EncodeOptions,
    ) -> Result<(), Option<SetMetricError>> {
        for (i, _) in path.match_indices('/') {
            let (prefix, rest) = (&path[..i], &path[i + 1..]);
            let Some(entry) = self
                .by_name
                .get(prefix)
                .and_then(|&i| self.entries.get_mut(i))
            else {
                continue;
            };
            let Some(Value::Template(instance)) = &mut entry.value else {
                continue;
            };
            let member = find_member(instance, rest).ok_or(None)?;
            if let Some(v) = &value {
                let expected = member
                    .datatype
                    .or_else(|| member.value.as_ref().map(Value::data_type));
                if let Some(expected) = expected.filter(|e| *e != v.data_type()) {
                    return Err(Some(SetMetricError::TypeMismatch {
                        name: path.to_owned(),
                        expected,
                        found: v.data_type(),
                    }));
                }
                check_encodable(v, options, || path.to_owned())?;
            }
            member.is_null = value.is_none();
            member.value = value;
            member.timestamp = Some(now.as_millis());
            entry.timestamp = now;
            return Ok(());
        }
        Err(None)
    }

    /// The current value of the metric `name`, or of the template member at that path.
    pub(super) fn value_at(&self, name: &str) -> Option<&Value> {
        if let Some(e) = self.get(name) {
            return e.value.as_ref();
        }
        path_splits(name).find_map(|(prefix, rest)| match &self.get(prefix)?.value {
            Some(Value::Template(t)) => member_value(t, rest),
            _ => None,
        })
    }

    /// A back-filled value of the metric `name`, acquired at `at`, as a change to publish with
    /// `is_historical`: checked like a new value, but the current value is left alone.
    /// `Err(None)` when there is no such metric.
    pub(super) fn historical(
        &self,
        name: &str,
        value: Value,
        at: Timestamp,
        options: &EncodeOptions,
    ) -> Result<Change, Option<SetMetricError>> {
        let entry = self.get(name).ok_or(None)?;
        if value.data_type() != entry.datatype {
            return Err(Some(SetMetricError::TypeMismatch {
                name: entry.name.clone(),
                expected: entry.datatype,
                found: value.data_type(),
            }));
        }
        check_encodable(&value, options, || entry.name.clone())?;
        Ok(Change {
            name: entry.name.clone(),
            alias: entry.alias,
            value: Some(value),
            timestamp: at,
            quality: Quality::Good,
            transient: entry.transient,
            metadata: None,
        })
    }

    /// Marks every current value reported: a birth carries them all.
    pub(super) fn mark_reported(&mut self) {
        for e in &mut self.entries {
            e.reported.clone_from(&e.value);
            e.reported_quality = e.quality;
        }
    }

    /// The metrics to report by exception, in chronological order
    /// (`tck-id-operational-behavior-data-publish-nbirth-order`); they become the reported
    /// values.
    pub(super) fn take_changes(&mut self) -> Vec<Change> {
        let mut out = Vec::new();
        for e in &mut self.entries {
            if let (Some(Value::Template(old)), Some(Value::Template(new))) =
                (&mut e.reported, &e.value)
            {
                let changed = changed_members(old, new, &e.member_deadbands);
                let parameters = old.parameters != new.parameters;
                if changed.is_empty() && !parameters && e.quality == e.reported_quality {
                    continue;
                }
                // The instance with the changed members alone; the others keep their last
                // reported value, so that a deadband counts from it.
                let delta = Template {
                    metrics: changed.iter().map(|&i| new.metrics[i].clone()).collect(),
                    parameters: if parameters {
                        new.parameters.clone()
                    } else {
                        Vec::new()
                    },
                    ..Template::instance(new.template_ref.clone().unwrap_or_default(), vec![])
                };
                for &i in &changed {
                    let m = &new.metrics[i];
                    match old.metrics.iter_mut().find(|o| o.name == m.name) {
                        Some(o) => *o = m.clone(),
                        None => old.metrics.push(m.clone()),
                    }
                }
                if parameters {
                    old.parameters.clone_from(&new.parameters);
                }
                out.push(Change {
                    name: e.name.clone(),
                    alias: e.alias,
                    value: Some(Value::Template(Box::new(delta))),
                    timestamp: e.timestamp,
                    quality: e.quality,
                    transient: e.transient,
                    metadata: None,
                });
                e.reported_quality = e.quality;
                continue;
            }
            if e.changed() {
                e.reported.clone_from(&e.value);
                e.reported_quality = e.quality;
                out.push(Change {
                    name: e.name.clone(),
                    alias: e.alias,
                    value: e.value.clone(),
                    timestamp: e.timestamp,
                    quality: e.quality,
                    transient: e.transient,
                    metadata: e.metadata.clone(),
                });
            }
        }
        out.sort_by_key(|c| c.timestamp);
        out
    }
}

/// The length of a Bytes or File value.
fn byte_len(value: &Value) -> Option<u64> {
    match value {
        Value::Bytes(b) | Value::File(b) => Some(b.len() as u64),
        _ => None,
    }
}

/// Metadata that can describe `value`: a size that is the value's length (unless it is one
/// part of a multi-part transfer), an md5 of 32 hex digits, a part number only on a part.
fn check_metadata(name: &str, md: &MetaData, value: Option<&Value>) -> Result<(), MetricSpecError> {
    let invalid = |problem: &str| MetricSpecError::InvalidMetadata {
        name: name.to_owned(),
        problem: problem.to_owned(),
    };
    let multi_part = md.is_multi_part.unwrap_or(false);
    if let (Some(size), Some(len), false) = (md.size, value.and_then(byte_len), multi_part) {
        if size != len {
            return Err(invalid(&format!(
                "size {size} is not the value's length {len}"
            )));
        }
    }
    if let Some(md5) = &md.md5 {
        if md5.len() != 32 || !md5.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("md5 must be 32 hex digits"));
        }
    }
    if md.seq.is_some() && !multi_part {
        return Err(invalid("seq (a part number) needs is_multi_part"));
    }
    Ok(())
}

/// Every split of `path` at a `/` into a prefix and the rest.
fn path_splits(path: &str) -> impl Iterator<Item = (&str, &str)> {
    path.match_indices('/')
        .map(move |(i, _)| (&path[..i], &path[i + 1..]))
}

/// The member of `t` at `path`: a member of that exact name, else a member of a nested
/// template by a prefix of the path.
fn find_member<'t>(t: &'t mut Template, path: &str) -> Option<&'t mut Metric> {
    if let Some(i) = t
        .metrics
        .iter()
        .position(|m| m.name.as_deref() == Some(path))
    {
        return t.metrics.get_mut(i);
    }
    let (i, rest) = path_splits(path).find_map(|(prefix, rest)| {
        let i = t.metrics.iter().position(|m| {
            m.name.as_deref() == Some(prefix) && matches!(m.value, Some(Value::Template(_)))
        })?;
        Some((i, rest))
    })?;
    match &mut t.metrics.get_mut(i)?.value {
        Some(Value::Template(inner)) => find_member(inner, rest),
        _ => None,
    }
}

/// The value of the member of `t` at `path` (see [`find_member`]).
fn member_value<'t>(t: &'t Template, path: &str) -> Option<&'t Value> {
    if let Some(m) = t.metrics.iter().find(|m| m.name.as_deref() == Some(path)) {
        return m.value.as_ref();
    }
    path_splits(path).find_map(|(prefix, rest)| {
        match &t
            .metrics
            .iter()
            .find(|m| m.name.as_deref() == Some(prefix))?
            .value
        {
            Some(Value::Template(inner)) => member_value(inner, rest),
            _ => None,
        }
    })
}

/// The names the edge node publishes itself, compared without case: `bdseq` next to `bdSeq`
/// would break `tck-id-case-sensitivity-metric-names`.
pub(super) fn is_reserved(name: &str) -> bool {
    same_but_case(name, BDSEQ) || same_but_case(name, NODE_CONTROL_REBIRTH)
}

/// Whether two names are equal when lower-cased.
pub(super) fn same_but_case(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// The datatypes a deadband applies to.
fn is_numeric(datatype: DataType) -> bool {
    matches!(datatype.code(), 1..=10)
}

/// Values whose encoding can fail (a NUL in a StringArray, a misplaced value in a DataSet cell
/// or a template member).
fn needs_encode_check(value: &Value) -> bool {
    matches!(
        value,
        Value::StringArray(_) | Value::DataSet(_) | Value::Template(_)
    )
}

/// Whether `value` has a wire form, tried only for the types whose values can lack one (a
/// DataSet cell of another type than its column, say); `name` names the metric in the error.
fn check_encodable(
    value: &Value,
    options: &EncodeOptions,
    name: impl FnOnce() -> String,
) -> Result<(), Option<SetMetricError>> {
    if !needs_encode_check(value) {
        return Ok(());
    }
    let metric = Metric {
        value: Some(value.clone()),
        ..Metric::default()
    };
    encodable(metric, options).map_err(|source| {
        Some(SetMetricError::Unencodable {
            name: name(),
            source,
        })
    })
}

/// Whether `metric` has a wire form.
fn encodable(metric: Metric, options: &EncodeOptions) -> Result<(), crate::EncodeError> {
    let mut buf = Vec::new();
    Payload::default()
        .with_metric(metric)
        .encode_with(&mut buf, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PropertyValue;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn set_with(specs: Vec<MetricSpec>) -> MetricSet {
        let mut set = MetricSet::default();
        for (i, spec) in specs.into_iter().enumerate() {
            set.check(
                &spec,
                true,
                &TemplateCatalog::new(),
                &EncodeOptions::default(),
            )
            .unwrap();
            set.insert(spec, Some(i as u64 + 1), t(0));
        }
        set
    }

    #[test]
    fn specs_are_checked() {
        let set = set_with(vec![MetricSpec::with_initial("a", 1i32)]);
        let o = EncodeOptions::default();
        let c = TemplateCatalog::new();
        let check = |spec: MetricSpec| set.check(&spec, true, &c, &o);
        assert_eq!(
            check(MetricSpec::new("", DataType::Int32)),
            Err(MetricSpecError::EmptyName)
        );
        assert!(matches!(
            check(MetricSpec::new("bdSeq", DataType::Int64)),
            Err(MetricSpecError::ReservedName(_))
        ));
        assert!(
            set.check(&MetricSpec::new("bdSeq", DataType::Int64), false, &c, &o)
                .is_ok()
        );
        assert!(matches!(
            check(MetricSpec::new("a", DataType::Int32)),
            Err(MetricSpecError::DuplicateName(_))
        ));
        assert!(matches!(
            check(MetricSpec::new("p", DataType::PropertySet)),
            Err(MetricSpecError::NotAMetricType { .. })
        ));
        assert!(matches!(
            check(MetricSpec::new("b", DataType::Int8).with_value(1i32)),
            Err(MetricSpecError::InitialValueType { .. })
        ));
        assert!(matches!(
            check(MetricSpec::new("s", DataType::String).with_deadband(1.0)),
            Err(MetricSpecError::InvalidDeadband { .. })
        ));
        assert!(matches!(
            check(MetricSpec::new("d", DataType::Double).with_deadband(f64::NAN)),
            Err(MetricSpecError::InvalidDeadband { .. })
        ));
        assert!(matches!(
            check(MetricSpec::with_initial("z", vec!["a\0b".to_owned()])),
            Err(MetricSpecError::Unencodable { .. })
        ));
        let bad_props = PropertySet::new().with("x", PropertyValue::new(vec![1i32]));
        assert!(matches!(
            check(MetricSpec::new("q", DataType::Int32).with_properties(bad_props)),
            Err(MetricSpecError::Unencodable { .. })
        ));
    }

    /// tck-id-principles-rbe-recommended: only changes are reported, and a deadband holds back
    /// small moves.
    #[test]
    fn report_by_exception_with_deadband() {
        let mut set = set_with(vec![
            MetricSpec::with_initial("t", 10.0).with_deadband(0.5),
            MetricSpec::with_initial("n", 1i32),
            MetricSpec::new("s", DataType::String),
        ]);
        let o = EncodeOptions::default();
        let c = TemplateCatalog::new();
        assert!(set.take_changes().is_empty());
        set.set(t(5), "t", Some(10.4.into()), &c, &o).unwrap();
        set.set(t(4), "n", Some(2i32.into()), &c, &o).unwrap();
        let changes = set.take_changes();
        // Chronological, and the 0.4 move stays within the deadband.
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].name.as_str(), changes[0].timestamp),
            ("n", t(4))
        );
        // Moves accumulate against the last reported value.
        set.set(t(6), "t", Some(10.6.into()), &c, &o).unwrap();
        assert_eq!(set.take_changes()[0].value, Some(Value::Double(10.6)));
        // A value changed and changed back is no change.
        set.set(t(7), "n", Some(3i32.into()), &c, &o).unwrap();
        set.set(t(8), "n", Some(2i32.into()), &c, &o).unwrap();
        assert!(set.take_changes().is_empty());
        // Null to a value and back.
        set.set(t(9), "s", Some("x".into()), &c, &o).unwrap();
        assert_eq!(set.take_changes().len(), 1);
        set.set(t(10), "s", None, &c, &o).unwrap();
        assert_eq!(set.take_changes()[0].value, None);
        // NaN is a change from a number, and back.
        set.set(t(11), "t", Some(f64::NAN.into()), &c, &o).unwrap();
        assert_eq!(set.take_changes().len(), 1);
        set.set(t(12), "t", Some(f64::NAN.into()), &c, &o).unwrap();
        assert!(set.take_changes().is_empty());
        set.set(t(13), "t", Some(1.0.into()), &c, &o).unwrap();
        assert_eq!(set.take_changes().len(), 1);
    }

    #[test]
    fn set_checks_type_and_name() {
        let mut set = set_with(vec![MetricSpec::with_initial("n", 1i32)]);
        let o = EncodeOptions::default();
        let c = TemplateCatalog::new();
        assert_eq!(set.set(t(1), "x", Some(1i32.into()), &c, &o), Err(None));
        assert!(matches!(
            set.set(t(1), "n", Some(1i64.into()), &c, &o),
            Err(Some(SetMetricError::TypeMismatch {
                expected: DataType::Int32,
                found: DataType::Int64,
                ..
            }))
        ));
        let mut arrays = set_with(vec![MetricSpec::new("a", DataType::StringArray)]);
        assert!(matches!(
            arrays.set(t(1), "a", Some(vec!["\0".to_owned()].into()), &c, &o),
            Err(Some(SetMetricError::Unencodable { .. }))
        ));
    }

    /// tck-id-payloads-alias-birth-requirement and tck-id-payloads-alias-data-cmd-requirement:
    /// births carry name and alias, data the alias alone.
    #[test]
    fn birth_and_data_forms() {
        let mut set = set_with(vec![MetricSpec::new("n", DataType::Int32)]);
        let birth = set.get("n").unwrap().birth_metric(t(3));
        assert_eq!(birth.name.as_deref(), Some("n"));
        assert_eq!(
            (birth.alias, birth.datatype),
            (Some(1), Some(DataType::Int32))
        );
        assert!(birth.is_null && birth.value.is_none());
        set.set(
            t(4),
            "n",
            Some(5i32.into()),
            &TemplateCatalog::new(),
            &EncodeOptions::default(),
        )
        .unwrap();
        let change = set.take_changes().remove(0);
        let data = change.data_metric(true);
        assert_eq!(
            (data.name, data.alias, data.datatype),
            (None, Some(1), None)
        );
        assert!(data.is_historical);
        let named = Change {
            alias: None,
            ..change
        }
        .data_metric(false);
        assert_eq!(named.name.as_deref(), Some("n"));
        set.mark_reported();
        assert!(set.take_changes().is_empty());
    }
}
