//! `Metric`: one named, typed, timestamped value.

use crate::{DataType, MetaData, PropertySet, Value};

/// A metric (SPARKPLUG.md 3.7).
///
/// `datatype` is what the wire's `datatype` field says (or will say): births carry it, data and
/// command messages usually leave it out, and then `value` holds the natural value of its wire
/// field until [`AliasTable`](crate::AliasTable) resolves it (see [`Value`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metric {
    /// The metric name, `/` separating folders. Absent in data messages that use aliases.
    pub name: Option<String>,
    /// The alias, unique across the edge node and all its devices.
    pub alias: Option<u64>,
    /// Acquisition time, milliseconds since the Unix epoch (UTC).
    pub timestamp: Option<u64>,
    /// The declared data type. Encoding writes exactly this (or nothing when `None`).
    pub datatype: Option<DataType>,
    /// A stored or back-filled value, not a live one.
    pub is_historical: bool,
    /// A value that hosts should not historize.
    pub is_transient: bool,
    /// The value is null: `value` is then `None`.
    pub is_null: bool,
    /// Metadata, for Bytes, File and multi-part values.
    pub metadata: Option<Box<MetaData>>,
    /// Properties such as engineering units or `Quality`.
    pub properties: Option<PropertySet>,
    /// The value; `None` when null or absent.
    pub value: Option<Value>,
}

impl Metric {
    /// A metric named `name` with `value`, whose datatype is the value's.
    pub fn new(name: impl Into<String>, value: impl Into<Value>) -> Self {
        let value = value.into();
        Metric {
            name: Some(name.into()),
            datatype: Some(value.data_type()),
            value: Some(value),
            ..Metric::default()
        }
    }

    /// A null metric named `name` of type `datatype` (`is_null` set, no value).
    pub fn null(name: impl Into<String>, datatype: DataType) -> Self {
        Metric {
            name: Some(name.into()),
            datatype: Some(datatype),
            is_null: true,
            ..Metric::default()
        }
    }

    /// A metric addressed only by `alias`, with no name and no datatype: the form data and
    /// command messages use when aliases are on (`tck-id-payloads-alias-data-cmd-requirement`,
    /// `tck-id-payloads-metric-datatype-not-req`).
    pub fn aliased(alias: u64, value: impl Into<Value>) -> Self {
        Metric {
            alias: Some(alias),
            value: Some(value.into()),
            ..Metric::default()
        }
    }

    /// Sets the alias (builder style).
    pub fn with_alias(mut self, alias: u64) -> Self {
        self.alias = Some(alias);
        self
    }

    /// Sets the timestamp (builder style).
    pub fn with_timestamp(mut self, timestamp: u64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Sets the properties (builder style).
    pub fn with_properties(mut self, properties: PropertySet) -> Self {
        self.properties = Some(properties);
        self
    }

    /// Sets the metadata (builder style).
    pub fn with_metadata(mut self, metadata: MetaData) -> Self {
        self.metadata = Some(Box::new(metadata));
        self
    }

    /// Marks the metric historical (builder style).
    pub fn historical(mut self) -> Self {
        self.is_historical = true;
        self
    }

    /// Marks the metric transient (builder style).
    pub fn transient(mut self) -> Self {
        self.is_transient = true;
        self
    }

    /// Drops the datatype (builder style), for data messages.
    pub fn without_datatype(mut self) -> Self {
        self.datatype = None;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders() {
        let m = Metric::new("Brine/Temp", -8.5)
            .with_alias(2)
            .with_timestamp(1)
            .historical();
        assert_eq!(m.datatype, Some(DataType::Double));
        assert_eq!(
            (m.alias, m.timestamp, m.is_historical),
            (Some(2), Some(1), true)
        );
        let n = Metric::null("n", DataType::String);
        assert!(n.is_null && n.value.is_none());
        let a = Metric::aliased(3, true);
        assert_eq!((a.name.as_deref(), a.datatype), (None, None));
    }
}
