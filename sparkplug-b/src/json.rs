//! The JSON rendering of the payload model (feature `serde`): `serde::Serialize` for
//! [`Payload`] and everything in it. The format is documented in `docs/JSON.md` and is stable:
//! the REST API and the command-line decoder print it.
//!
//! In short: field names follow the proto schema; `datatype` is the numeric code with
//! `datatype_name` beside it; integers are JSON integers (64-bit values exact); Float and Double
//! NaN and infinities are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`; Bytes, File and
//! the payload body are lowercase hex; arrays are JSON arrays; a DataSet is
//! `{num_of_columns, columns, types, rows}`; a Template is
//! `{version, template_ref, is_definition, metrics, parameters}`; properties are a list of
//! `{key, type, is_null, value}`.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::{
    DataSet, DataType, MetaData, Metric, Parameter, Payload, PropertySet, PropertyValue, Template,
    Value,
};

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// A float as JSON: a number, or a string for the values JSON cannot hold.
struct Float(f64, bool);

impl Serialize for Float {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Float(v, single) = *self;
        if v.is_nan() {
            s.serialize_str("NaN")
        } else if v.is_infinite() {
            s.serialize_str(if v > 0.0 { "Infinity" } else { "-Infinity" })
        } else if single {
            // The shortest text that reads back as the same f32 ("1.23", not "1.2300000190734863").
            s.serialize_f32(v as f32)
        } else {
            s.serialize_f64(v)
        }
    }
}

struct Floats<'a, T>(&'a [T], bool);

impl<T: Copy + Into<f64>> Serialize for Floats<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for &v in self.0 {
            seq.serialize_element(&Float(v.into(), self.1))?;
        }
        seq.end()
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Int8(v) => s.serialize_i8(*v),
            Value::Int16(v) => s.serialize_i16(*v),
            Value::Int32(v) => s.serialize_i32(*v),
            Value::Int64(v) => s.serialize_i64(*v),
            Value::UInt8(v) => s.serialize_u8(*v),
            Value::UInt16(v) => s.serialize_u16(*v),
            Value::UInt32(v) => s.serialize_u32(*v),
            Value::UInt64(v) | Value::DateTime(v) => s.serialize_u64(*v),
            Value::Float(v) => Float((*v).into(), true).serialize(s),
            Value::Double(v) => Float(*v, false).serialize(s),
            Value::Boolean(v) => s.serialize_bool(*v),
            Value::String(v) | Value::Text(v) | Value::Uuid(v) => s.serialize_str(v),
            Value::Bytes(v) | Value::File(v) => s.serialize_str(&hex(v)),
            Value::DataSet(v) => v.serialize(s),
            Value::Template(v) => v.serialize(s),
            Value::PropertySet(v) => v.serialize(s),
            Value::PropertySetList(v) => v.serialize(s),
            Value::Int8Array(v) => v.serialize(s),
            Value::Int16Array(v) => v.serialize(s),
            Value::Int32Array(v) => v.serialize(s),
            Value::Int64Array(v) => v.serialize(s),
            // A list of numbers, like the other arrays (serde would otherwise pick a byte string).
            Value::UInt8Array(v) => s.collect_seq(v.iter()),
            Value::UInt16Array(v) => v.serialize(s),
            Value::UInt32Array(v) => v.serialize(s),
            Value::UInt64Array(v) | Value::DateTimeArray(v) => v.serialize(s),
            Value::FloatArray(v) => Floats(v, true).serialize(s),
            Value::DoubleArray(v) => Floats(v, false).serialize(s),
            Value::BooleanArray(v) => v.serialize(s),
            Value::StringArray(v) => v.serialize(s),
        }
    }
}

impl Serialize for DataType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.code())
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(5))?;
        map.serialize_entry("timestamp", &self.timestamp)?;
        map.serialize_entry("seq", &self.seq)?;
        map.serialize_entry("uuid", &self.uuid)?;
        map.serialize_entry("body_hex", &self.body.as_deref().map(hex))?;
        map.serialize_entry("metrics", &self.metrics)?;
        map.end()
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(11))?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("alias", &self.alias)?;
        map.serialize_entry("timestamp", &self.timestamp)?;
        map.serialize_entry("datatype", &self.datatype)?;
        map.serialize_entry("datatype_name", &self.datatype.map(DataType::name))?;
        map.serialize_entry("is_historical", &self.is_historical)?;
        map.serialize_entry("is_transient", &self.is_transient)?;
        map.serialize_entry("is_null", &self.is_null)?;
        map.serialize_entry("value", &self.value)?;
        map.serialize_entry("metadata", &self.metadata)?;
        map.serialize_entry("properties", &self.properties)?;
        map.end()
    }
}

impl Serialize for MetaData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(v) = self.is_multi_part {
            map.serialize_entry("is_multi_part", &v)?;
        }
        if let Some(v) = &self.content_type {
            map.serialize_entry("content_type", v)?;
        }
        if let Some(v) = self.size {
            map.serialize_entry("size", &v)?;
        }
        if let Some(v) = self.seq {
            map.serialize_entry("seq", &v)?;
        }
        for (key, v) in [
            ("file_name", &self.file_name),
            ("file_type", &self.file_type),
            ("md5", &self.md5),
            ("description", &self.description),
        ] {
            if let Some(v) = v {
                map.serialize_entry(key, v)?;
            }
        }
        map.end()
    }
}

impl Serialize for PropertySet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Entry<'a>(&'a str, &'a PropertyValue);
        impl Serialize for Entry<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(4))?;
                map.serialize_entry("key", self.0)?;
                map.serialize_entry("type", &self.1.datatype)?;
                map.serialize_entry("is_null", &self.1.is_null)?;
                map.serialize_entry("value", &self.1.value)?;
                map.end()
            }
        }
        s.collect_seq(self.iter().map(|(k, v)| Entry(k, v)))
    }
}

impl Serialize for DataSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("num_of_columns", &self.num_of_columns)?;
        map.serialize_entry("columns", &self.columns)?;
        map.serialize_entry("types", &self.types)?;
        map.serialize_entry("rows", &self.rows)?;
        map.end()
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(5))?;
        map.serialize_entry("version", &self.version)?;
        map.serialize_entry("template_ref", &self.template_ref)?;
        map.serialize_entry("is_definition", &self.is_definition)?;
        map.serialize_entry("metrics", &self.metrics)?;
        map.serialize_entry("parameters", &self.parameters)?;
        map.end()
    }
}

impl Serialize for Parameter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("type", &self.datatype)?;
        map.serialize_entry("value", &self.value)?;
        map.end()
    }
}

impl Payload {
    /// The payload as JSON text in the documented format (`docs/JSON.md`).
    pub fn to_json(&self) -> String {
        // Serializing this model into a String cannot fail: every map key is a string and the
        // writer is in memory.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The payload as pretty-printed JSON text.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_floats_bytes_and_u8_arrays() {
        let p = Payload::new(1)
            .with_metric(Metric::new("nan", f64::NAN))
            .with_metric(Metric::new("ninf", f32::NEG_INFINITY))
            .with_metric(Metric::new("f", 1.23f32))
            .with_metric(Metric::new("bytes", vec![0u8, 255, 16]))
            .with_metric(Metric::new("u8s", Value::UInt8Array(vec![1, 2])))
            .with_metric(Metric::new("u64", u64::MAX));
        let json: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        let values: Vec<_> = json["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].clone())
            .collect();
        assert_eq!(values[0], "NaN");
        assert_eq!(values[1], "-Infinity");
        assert_eq!(values[2].to_string(), "1.23");
        assert_eq!(values[3], "00ff10");
        assert_eq!(values[4], serde_json::json!([1, 2]));
        assert_eq!(values[5].as_u64(), Some(u64::MAX));
        assert_eq!(json["metrics"][0]["datatype"], 10);
        assert_eq!(json["metrics"][0]["datatype_name"], "Double");
    }
}
