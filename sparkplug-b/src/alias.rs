//! The birth-time table that gives data and command metrics their names and types.
//!
//! A birth (NBIRTH or DBIRTH) names every metric with its datatype and, when aliases are on,
//! its alias. Data and command messages then usually carry the alias alone and no datatype
//! (`tck-id-payloads-alias-data-cmd-requirement`, `tck-id-payloads-metric-datatype-not-req`),
//! so their values cannot be read without the birth: an Int8 arrives as a `uint32`, an array as
//! bytes. [`AliasTable`] remembers the birth and resolves such metrics.

use std::collections::HashMap;

use crate::error::ValueError;
use crate::{DataType, Metric, Payload, Value};

/// A metric as its birth declared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricDefinition {
    /// The metric name.
    pub name: String,
    /// The alias, when the birth gave one.
    pub alias: Option<u64>,
    /// The datatype.
    pub datatype: DataType,
    /// For a Template metric, its members as the birth declared them (births carry every
    /// member: `tck-id-payloads-template-instance-members-birth`), to resolve the members a
    /// data message sends.
    pub members: Option<Box<AliasTable>>,
}

/// Why a birth cannot serve as an alias table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BirthError {
    /// Two metrics of the birth share an alias (`tck-id-payloads-alias-uniqueness`).
    #[error(
        "alias {alias} is given to both {first:?} and {second:?} (tck-id-payloads-alias-uniqueness)"
    )]
    DuplicateAlias {
        /// The alias.
        alias: u64,
        /// The first metric with it.
        first: String,
        /// The second metric with it.
        second: String,
    },
    /// A birth metric has no name (`tck-id-payloads-alias-birth-requirement`).
    #[error("birth metric {index} has no name (tck-id-payloads-alias-birth-requirement)")]
    MissingName {
        /// Index of the metric in the birth.
        index: usize,
    },
    /// A birth metric has no datatype (`tck-id-payloads-metric-datatype-req`).
    #[error("birth metric {name:?} has no datatype (tck-id-payloads-metric-datatype-req)")]
    MissingDatatype {
        /// The metric name.
        name: String,
    },
}

/// Why a data or command metric cannot be resolved against its birth.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The alias is not in the birth: the host should ask for a rebirth.
    #[error("alias {0} is not in the birth")]
    UnknownAlias(u64),
    /// The name is not in the birth: the host should ask for a rebirth; an edge node should
    /// ignore a command for it (SPARKPLUG.md 2.7).
    #[error("metric {0:?} is not in the birth")]
    UnknownName(String),
    /// The metric has neither alias nor name (`tck-id-payloads-name-requirement`).
    #[error("metric has neither alias nor name (tck-id-payloads-name-requirement)")]
    Unaddressed,
    /// Alias and name both given, and the birth gave the alias to another name.
    #[error("alias {alias} belongs to {birth_name:?} in the birth, not to {name:?}")]
    NameMismatch {
        /// The alias.
        alias: u64,
        /// The name in the message.
        name: String,
        /// The name the birth gave the alias.
        birth_name: String,
    },
    /// The metric declares a datatype other than its birth's.
    #[error("metric {name:?} is {declared} here but {birth} in the birth")]
    DatatypeMismatch {
        /// The metric name.
        name: String,
        /// The datatype in the message.
        declared: DataType,
        /// The datatype in the birth.
        birth: DataType,
    },
    /// A member of a template metric could not be resolved.
    #[error("template {template:?}: {source}")]
    Member {
        /// The template metric's name.
        template: String,
        /// What is wrong with the member.
        #[source]
        source: Box<ResolveError>,
    },
    /// The value does not fit the birth's datatype (a type-incompatible write, say).
    #[error("metric {name:?}: {source}")]
    Value {
        /// The metric name.
        name: String,
        /// What is wrong with the value.
        #[source]
        source: ValueError,
    },
}

/// Metric names, aliases and datatypes of one birth (an NBIRTH for node metrics, a DBIRTH for a
/// device's), to resolve the metrics of later data and command messages.
///
/// ```
/// use sparkplug_b::{AliasTable, DataType, Metric, Payload, Value};
///
/// let birth = Payload::new(1)
///     .with_seq(0)
///     .with_metric(Metric::new("Tank/Level", Value::Int8(0)).with_alias(8).with_timestamp(1));
/// let table = AliasTable::from_birth(&birth)?;
///
/// // NDATA: alias only, no datatype; the Int8 -1 arrives sign-extended in a uint32.
/// let ndata = Payload::new(2).with_seq(1).with_metric(Metric::aliased(8, Value::Int8(-1)));
/// let mut decoded = Payload::decode(&ndata.encode_to_vec()?)?;
/// assert_eq!(decoded.metrics[0].value, Some(Value::UInt32(u32::MAX)));
///
/// table.resolve(&mut decoded.metrics[0])?;
/// assert_eq!(decoded.metrics[0].name.as_deref(), Some("Tank/Level"));
/// assert_eq!(decoded.metrics[0].datatype, Some(DataType::Int8));
/// assert_eq!(decoded.metrics[0].value, Some(Value::Int8(-1)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AliasTable {
    metrics: Vec<MetricDefinition>,
    by_alias: AliasIndex,
    by_name: HashMap<String, usize>,
}

impl AliasTable {
    /// An empty table.
    pub fn new() -> Self {
        AliasTable::default()
    }

    /// The table of a birth payload. Template definitions (NBIRTH metrics whose value is a
    /// template with `is_definition = true`) are not in it: a definition is a type, not a
    /// metric a data or command message can address (see
    /// [`TemplateCatalog`](crate::TemplateCatalog)).
    pub fn from_birth(birth: &Payload) -> Result<Self, BirthError> {
        let mut table = AliasTable::new();
        table.metrics.reserve(birth.metrics.len());
        for (index, metric) in birth.metrics.iter().enumerate() {
            if crate::template::is_definition(metric) {
                continue;
            }
            let name = metric
                .name
                .clone()
                .ok_or(BirthError::MissingName { index })?;
            let datatype = metric
                .datatype
                .ok_or_else(|| BirthError::MissingDatatype { name: name.clone() })?;
            let members = template_members(metric);
            table.insert(MetricDefinition {
                name,
                alias: metric.alias,
                datatype,
                members,
            })?;
        }
        Ok(table)
    }

    /// Adds a metric definition. A later definition of the same name replaces the earlier
    /// one's name entry; a second metric with the same alias is an error.
    pub fn insert(&mut self, definition: MetricDefinition) -> Result<(), BirthError> {
        let index = self.metrics.len();
        if let Some(alias) = definition.alias {
            if let Some(first) = self.by_alias.get(alias) {
                return Err(BirthError::DuplicateAlias {
                    alias,
                    first: self.metrics[first].name.clone(),
                    second: definition.name,
                });
            }
            self.by_alias.insert(alias, index, index + 1);
        }
        self.by_name.insert(definition.name.clone(), index);
        self.metrics.push(definition);
        Ok(())
    }

    /// The definition of an alias.
    pub fn by_alias(&self, alias: u64) -> Option<&MetricDefinition> {
        self.by_alias.get(alias).map(|i| &self.metrics[i])
    }

    /// The definition of a name.
    pub fn by_name(&self, name: &str) -> Option<&MetricDefinition> {
        self.by_name.get(name).map(|&i| &self.metrics[i])
    }

    /// Every definition, in birth order.
    pub fn iter(&self) -> impl Iterator<Item = &MetricDefinition> {
        self.metrics.iter()
    }

    /// The number of definitions.
    pub fn len(&self) -> usize {
        self.metrics.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }

    /// The definition a data or command metric refers to: by alias when it has one, else by name.
    pub fn lookup(&self, metric: &Metric) -> Result<&MetricDefinition, ResolveError> {
        self.lookup_index(metric).map(|i| &self.metrics[i])
    }

    /// [`AliasTable::lookup`], giving the definition's position in [`AliasTable::iter`] order.
    fn lookup_index(&self, metric: &Metric) -> Result<usize, ResolveError> {
        match (metric.alias, metric.name.as_deref()) {
            (Some(alias), name) => {
                let i = self
                    .by_alias
                    .get(alias)
                    .ok_or(ResolveError::UnknownAlias(alias))?;
                let def = &self.metrics[i];
                match name {
                    Some(name) if name != def.name => Err(ResolveError::NameMismatch {
                        alias,
                        name: name.to_owned(),
                        birth_name: def.name.clone(),
                    }),
                    _ => Ok(i),
                }
            }
            (None, Some(name)) => self
                .by_name
                .get(name)
                .copied()
                .ok_or_else(|| ResolveError::UnknownName(name.to_owned())),
            (None, None) => Err(ResolveError::Unaddressed),
        }
    }

    /// Gives a data or command metric its name and datatype from the birth and reads its value
    /// as that datatype; the members of a template value are resolved against the template's
    /// members in the birth. On error the metric's value is left as it was.
    pub fn resolve(&self, metric: &mut Metric) -> Result<(), ResolveError> {
        self.resolve_indexed(metric).map(drop)
    }

    /// [`AliasTable::resolve`], giving the position of the metric's definition in
    /// [`AliasTable::iter`] order, so a caller that keeps per-metric state beside the table can
    /// find it without looking the name up again.
    pub fn resolve_indexed(&self, metric: &mut Metric) -> Result<usize, ResolveError> {
        self.resolve_as(metric, true)
    }

    /// [`AliasTable::resolve_indexed`] without giving the metric its name (its `name` stays as
    /// it arrived): for a caller that names it from [`AliasTable::get`] without copying.
    pub(crate) fn resolve_unnamed(&self, metric: &mut Metric) -> Result<usize, ResolveError> {
        self.resolve_as(metric, false)
    }

    /// The position of an alias's definition in [`AliasTable::iter`] order.
    #[inline]
    pub(crate) fn alias_index(&self, alias: u64) -> Option<usize> {
        self.by_alias.get(alias)
    }

    /// The definition at `index` in [`AliasTable::iter`] order.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&MetricDefinition> {
        self.metrics.get(index)
    }

    #[inline]
    fn resolve_as(&self, metric: &mut Metric, name_it: bool) -> Result<usize, ResolveError> {
        let index = self.lookup_index(metric)?;
        let def = &self.metrics[index];
        if let Some(declared) = metric.datatype {
            if declared != def.datatype {
                return Err(ResolveError::DatatypeMismatch {
                    name: def.name.clone(),
                    declared,
                    birth: def.datatype,
                });
            }
        }
        if let Some(value) = metric.value.take() {
            match value.try_reinterpret(def.datatype) {
                Ok(typed) => metric.value = Some(typed),
                Err((original, source)) => {
                    metric.value = Some(original);
                    return Err(ResolveError::Value {
                        name: def.name.clone(),
                        source,
                    });
                }
            }
        }
        if name_it && metric.name.is_none() {
            metric.name = Some(def.name.clone());
        }
        metric.datatype = Some(def.datatype);
        if let (Some(Value::Template(template)), Some(members)) = (&mut metric.value, &def.members)
        {
            let mut first_error = None;
            for member in &mut template.metrics {
                if let Err(e) = members.resolve(member) {
                    first_error.get_or_insert(e);
                }
            }
            if let Some(e) = first_error {
                return Err(ResolveError::Member {
                    template: def.name.clone(),
                    source: Box::new(e),
                });
            }
        }
        Ok(index)
    }

    /// Resolves every metric of a data or command payload; metrics that fail are left as they
    /// were and reported with their index, so one unknown alias loses nothing else.
    pub fn resolve_payload(&self, payload: &mut Payload) -> Vec<(usize, ResolveError)> {
        payload
            .metrics
            .iter_mut()
            .enumerate()
            .filter_map(|(i, m)| self.resolve(m).err().map(|e| (i, e)))
            .collect()
    }
}

/// Alias to definition index. Edge nodes number their aliases densely from 0 or 1, so small
/// aliases index a vector directly (no hashing on the hot path of every data metric); the
/// vector grows only up to a few times the number of definitions, so a birth with one huge
/// alias costs no memory: such aliases go to a map with the standard (DoS-resistant) hasher.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct AliasIndex {
    dense: Vec<Option<u32>>,
    sparse: HashMap<u64, usize>,
}

impl AliasIndex {
    #[inline]
    fn get(&self, alias: u64) -> Option<usize> {
        match usize::try_from(alias).ok().and_then(|a| self.dense.get(a)) {
            Some(Some(i)) => Some(*i as usize),
            // An alias that was too large for the vector when it was inserted is in the map,
            // even if the vector has grown past it since.
            _ => self.sparse.get(&alias).copied(),
        }
    }

    fn insert(&mut self, alias: u64, index: usize, definitions: usize) {
        let limit = 64 + 4 * definitions;
        match (usize::try_from(alias), u32::try_from(index)) {
            (Ok(a), Ok(i)) if a < limit => {
                if a >= self.dense.len() {
                    self.dense.resize(a + 1, None);
                }
                self.dense[a] = Some(i);
            }
            _ => {
                self.sparse.insert(alias, index);
            }
        }
    }
}

/// The members of a birth's template metric as a table of their own. Members without a name or
/// datatype cannot be resolved against and are left out (the birth's validation reports them).
fn template_members(metric: &Metric) -> Option<Box<AliasTable>> {
    let Some(Value::Template(template)) = &metric.value else {
        return None;
    };
    let mut table = AliasTable::new();
    for member in &template.metrics {
        if let (Some(name), Some(datatype)) = (&member.name, member.datatype) {
            let mut def = MetricDefinition {
                name: name.clone(),
                alias: member.alias,
                datatype,
                members: template_members(member),
            };
            // Members are normally addressed by name; a member alias the birth repeats is
            // dropped rather than making the whole template unresolvable.
            if let Err(BirthError::DuplicateAlias { .. }) = table.insert(def.clone()) {
                def.alias = None;
                let _ = table.insert(def);
            }
        }
    }
    Some(Box::new(table))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Template;

    fn birth() -> Payload {
        Payload::new(1)
            .with_seq(0)
            .with_metric(Metric::new("bdSeq", 0i64))
            .with_metric(Metric::new("Node Control/Rebirth", false))
            .with_metric(Metric::new("Temp", 1.0).with_alias(1))
            .with_metric(Metric::new("Bits", vec![true]).with_alias(2))
            .with_metric(Metric::new("Count", 0u8).with_alias(3))
    }

    #[test]
    fn resolves_by_alias_and_by_name() {
        let table = AliasTable::from_birth(&birth()).unwrap();
        let mut m = Metric::aliased(1, Value::Double(2.5));
        table.resolve(&mut m).unwrap();
        assert_eq!(
            (m.name.as_deref(), m.datatype),
            (Some("Temp"), Some(DataType::Double))
        );
        let mut m = Metric {
            name: Some("Node Control/Rebirth".into()),
            value: Some(true.into()),
            ..Metric::default()
        };
        table.resolve(&mut m).unwrap();
        assert_eq!(m.datatype, Some(DataType::Boolean));
        // Arrays arrive as bytes and are unpacked with the birth's datatype.
        let mut m = Metric::aliased(2, Value::Bytes(vec![2, 0, 0, 0, 0x40]));
        table.resolve(&mut m).unwrap();
        assert_eq!(m.value, Some(Value::BooleanArray(vec![false, true])));
    }

    /// tck-id-payloads-alias-uniqueness
    #[test]
    fn duplicate_aliases_are_refused() {
        let bad = birth().with_metric(Metric::new("Other", 1.0).with_alias(1));
        assert!(matches!(
            AliasTable::from_birth(&bad),
            Err(BirthError::DuplicateAlias { alias: 1, .. })
        ));
    }

    /// tck-id-payloads-metric-datatype-req and tck-id-payloads-alias-birth-requirement
    #[test]
    fn birth_metrics_need_names_and_datatypes() {
        let no_name = Payload::new(1).with_metric(Metric::aliased(1, 1.0));
        assert_eq!(
            AliasTable::from_birth(&no_name).unwrap_err(),
            BirthError::MissingName { index: 0 }
        );
        let no_type = Payload::new(1).with_metric(Metric::new("x", 1.0).without_datatype());
        assert!(matches!(
            AliasTable::from_birth(&no_type),
            Err(BirthError::MissingDatatype { .. })
        ));
    }

    #[test]
    fn failures_leave_the_metric_alone_and_the_rest_resolves() {
        let table = AliasTable::from_birth(&birth()).unwrap();
        let mut payload = Payload::new(2)
            .with_metric(Metric::aliased(9, 1.0))
            .with_metric(Metric::aliased(3, Value::UInt32(300)))
            .with_metric(Metric::aliased(1, Value::Boolean(true)))
            .with_metric(Metric::aliased(3, Value::UInt32(7)));
        let errors = table.resolve_payload(&mut payload);
        assert_eq!(errors.len(), 3);
        assert_eq!(errors[0], (0, ResolveError::UnknownAlias(9)));
        assert!(matches!(errors[1].1, ResolveError::Value { .. }));
        assert!(matches!(errors[2].1, ResolveError::Value { .. }));
        assert_eq!(
            payload.metrics[1].value,
            Some(Value::UInt32(300)),
            "left as it was"
        );
        assert_eq!(payload.metrics[3].value, Some(Value::UInt8(7)));
        let mut wrong = Metric {
            datatype: Some(DataType::Float),
            ..Metric::aliased(1, 1.0f32)
        };
        assert!(matches!(
            table.resolve(&mut wrong),
            Err(ResolveError::DatatypeMismatch { .. })
        ));
        let mut renamed = Metric {
            name: Some("Nope".into()),
            ..Metric::aliased(1, 1.0)
        };
        assert!(matches!(
            table.resolve(&mut renamed),
            Err(ResolveError::NameMismatch { .. })
        ));
        assert_eq!(
            table.resolve(&mut Metric::default()),
            Err(ResolveError::Unaddressed)
        );
    }

    /// Template members in data messages carry no datatype; the birth's instance has them all
    /// (tck-id-payloads-template-instance-members-birth,
    /// tck-id-payloads-template-instance-members-data).
    #[test]
    fn template_members_resolve_through_the_birth_instance() {
        let instance = Template::instance(
            "Motor",
            vec![Metric::new("Speed", 0.0), Metric::new("Poles", 0u8)],
        );
        let birth = Payload::new(1).with_metric(Metric::new("M1", instance).with_alias(7));
        let table = AliasTable::from_birth(&birth).unwrap();
        let member = Metric {
            name: Some("Poles".into()),
            value: Some(Value::UInt32(4)),
            ..Metric::default()
        };
        let mut data = Metric::aliased(7, Template::instance("Motor", vec![member]));
        table.resolve(&mut data).unwrap();
        let Some(Value::Template(t)) = &data.value else {
            panic!("a template")
        };
        assert_eq!(t.metrics[0].value, Some(Value::UInt8(4)));
        assert_eq!(t.metrics[0].datatype, Some(DataType::UInt8));
    }

    #[test]
    fn dense_and_sparse_aliases_both_resolve() {
        let mut table = AliasTable::new();
        let def = |name: &str, alias| MetricDefinition {
            name: name.into(),
            alias: Some(alias),
            datatype: DataType::Double,
            members: None,
        };
        // 500 is too large for the vector while the table is small; later inserts grow the
        // vector past it.
        table.insert(def("far", 500)).unwrap();
        for a in 0..200 {
            table.insert(def(&format!("m{a}"), a)).unwrap();
        }
        table.insert(def("huge", u64::MAX)).unwrap();
        assert_eq!(table.by_alias(500).map(|d| d.name.as_str()), Some("far"));
        assert_eq!(table.by_alias(7).map(|d| d.name.as_str()), Some("m7"));
        assert_eq!(
            table.by_alias(u64::MAX).map(|d| d.name.as_str()),
            Some("huge")
        );
        assert!(table.by_alias(300).is_none());
        assert!(matches!(
            table.insert(def("dup", 500)),
            Err(BirthError::DuplicateAlias { .. })
        ));
        assert!(matches!(
            table.insert(def("dup", 7)),
            Err(BirthError::DuplicateAlias { .. })
        ));
    }
}
