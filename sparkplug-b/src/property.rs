//! Property sets: typed key/value attributes of a metric (SPARKPLUG.md 3.6).

use crate::{DataType, Value};

/// The well-known property key for a metric's quality (`tck-id-payloads-propertyset-quality-*`).
pub const QUALITY: &str = "Quality";

/// The quality codes a `Quality` property may carry (Int32 values 0, 192 and 500).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Quality {
    /// 0: the value is not usable.
    Bad,
    /// 192: the value is good (the default when no `Quality` property is sent).
    Good,
    /// 500: the value is the last known one, from a node or device that is offline.
    Stale,
}

impl Quality {
    /// The Int32 code sent in the `Quality` property.
    pub const fn code(self) -> i32 {
        match self {
            Quality::Bad => 0,
            Quality::Good => 192,
            Quality::Stale => 500,
        }
    }

    /// The quality for a code; `None` for codes the spec does not define.
    pub const fn from_code(code: i32) -> Option<Quality> {
        match code {
            0 => Some(Quality::Bad),
            192 => Some(Quality::Good),
            500 => Some(Quality::Stale),
            _ => None,
        }
    }
}

/// A property value: a type, a null flag, and a value of that type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropertyValue {
    /// The declared data type (required in births:
    /// `tck-id-payloads-metric-propertyvalue-type-req`).
    pub datatype: Option<DataType>,
    /// Whether the value is null.
    pub is_null: bool,
    /// The value: a basic type, a [`PropertySet`] or a list of them.
    pub value: Option<Value>,
}

impl PropertyValue {
    /// A property value of `value`'s data type.
    pub fn new(value: impl Into<Value>) -> Self {
        let value = value.into();
        PropertyValue {
            datatype: Some(value.data_type()),
            is_null: false,
            value: Some(value),
        }
    }

    /// A null property value of `datatype`.
    pub fn null(datatype: DataType) -> Self {
        PropertyValue {
            datatype: Some(datatype),
            is_null: true,
            value: None,
        }
    }
}

/// A set of properties: keys and values in two parallel lists, as on the wire.
///
/// The lists are kept apart rather than zipped so that a payload whose lists differ in length
/// decodes as it is, and validation can report it
/// (`tck-id-payloads-propertyset-keys-array-size`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropertySet {
    /// The property names.
    pub keys: Vec<String>,
    /// The property values, one per key.
    pub values: Vec<PropertyValue>,
}

impl PropertySet {
    /// An empty property set.
    pub fn new() -> Self {
        PropertySet::default()
    }

    /// Adds a property (builder style).
    pub fn with(mut self, key: impl Into<String>, value: PropertyValue) -> Self {
        self.insert(key, value);
        self
    }

    /// Sets a property, replacing an earlier value of the same key.
    pub fn insert(&mut self, key: impl Into<String>, value: PropertyValue) {
        let key = key.into();
        match self.keys.iter().position(|k| *k == key) {
            Some(i) if i < self.values.len() => self.values[i] = value,
            _ => {
                self.keys.push(key);
                self.values.push(value);
            }
        }
    }

    /// The value of a property.
    pub fn get(&self, key: &str) -> Option<&PropertyValue> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The pairs of keys and values (a surplus key or value has no pair and is skipped).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &PropertyValue)> {
        self.keys.iter().map(String::as_str).zip(&self.values)
    }

    /// The number of key/value pairs.
    pub fn len(&self) -> usize {
        self.keys.len().min(self.values.len())
    }

    /// Whether the set has no pairs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The metric quality given by the `Quality` property; `Good` when there is none.
    /// `None` when the property is there but is not an Int32 quality code.
    pub fn quality(&self) -> Option<Quality> {
        match self.get(QUALITY) {
            None => Some(Quality::Good),
            Some(pv) => match pv.value {
                Some(Value::Int32(code)) => Quality::from_code(code),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces_and_get_finds() {
        let mut set = PropertySet::new().with("engUnit", PropertyValue::new("degC"));
        set.insert("engUnit", PropertyValue::new("K"));
        set.insert("engLow", PropertyValue::new(-40.0));
        assert_eq!(set.len(), 2);
        assert_eq!(
            set.get("engUnit").and_then(|v| v.value.as_ref()?.as_str()),
            Some("K")
        );
        assert!(set.get("missing").is_none());
    }

    /// tck-id-payloads-propertyset-quality-value-type and
    /// tck-id-payloads-propertyset-quality-value-value.
    #[test]
    fn quality_codes() {
        assert_eq!(PropertySet::new().quality(), Some(Quality::Good));
        let stale = PropertySet::new().with(QUALITY, PropertyValue::new(Quality::Stale.code()));
        assert_eq!(stale.quality(), Some(Quality::Stale));
        let wrong_type = PropertySet::new().with(QUALITY, PropertyValue::new(500i64));
        assert_eq!(wrong_type.quality(), None);
        assert_eq!(Quality::from_code(1), None);
    }
}
