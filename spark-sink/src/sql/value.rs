//! A Sparkplug [`Value`] to the typed value columns of a sample and back, losslessly.
//!
//! | value | column |
//! |---|---|
//! | Int8 .. Int64, UInt8 .. UInt32 | `v_int` |
//! | UInt64, DateTime | `v_uint` (see [`super::db::Param::U64`] for SQLite) |
//! | Float, Double (finite) | `v_double` (a Float widens exactly) |
//! | Float, Double NaN / ±infinity | `v_text` = `NaN`, `Infinity`, `-Infinity` (no engine stores NaN) |
//! | Boolean | `v_bool` (0/1) |
//! | String, Text, UUID | `v_text` |
//! | Bytes, File | `v_blob` |
//! | arrays, DataSet, Template, PropertySet(List) | `v_blob` = the value as a one-metric Sparkplug payload (lossless), `v_text` = its JSON (docs/JSON.md) for SQL readers |
//!
//! The `datatype` column holds the value's own type code (the catalogue keeps the declared
//! one), so reading a row back gives the same [`Value`] variant.

use sparkplug_b::{DataType, Metric, Payload, Value};

/// Why a value was not stored. Counted per reason by the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Reject {
    /// A string or byte value above the configured size limit.
    TooLarge,
    /// A value with no Sparkplug wire form (a PropertySet as a metric value, ...).
    Unencodable,
}

impl Reject {
    /// The counter name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Reject::TooLarge => "value_too_large",
            Reject::Unencodable => "value_unencodable",
        }
    }
}

/// The value columns of one sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Columns {
    /// The value's type code (the declared one for a null).
    pub(crate) datatype: u32,
    /// The value was null.
    pub(crate) is_null: bool,
    /// Signed and small unsigned integers.
    pub(crate) v_int: Option<i64>,
    /// UInt64 and DateTime.
    pub(crate) v_uint: Option<u64>,
    /// Finite floats.
    pub(crate) v_double: Option<f64>,
    /// Booleans.
    pub(crate) v_bool: Option<bool>,
    /// Strings, non-finite floats, JSON of complex values.
    pub(crate) v_text: Option<String>,
    /// Bytes, and the Sparkplug encoding of complex values.
    pub(crate) v_blob: Option<Vec<u8>>,
}

impl Columns {
    /// Bytes the value takes (for statement size limits).
    pub(crate) fn size(&self) -> usize {
        64 + self.v_text.as_ref().map_or(0, String::len) + self.v_blob.as_ref().map_or(0, Vec::len)
    }
}

fn float_columns(v: f64, c: &mut Columns) {
    if v.is_finite() {
        c.v_double = Some(v);
    } else if v.is_nan() {
        c.v_text = Some("NaN".to_owned());
    } else if v > 0.0 {
        c.v_text = Some("Infinity".to_owned());
    } else {
        c.v_text = Some("-Infinity".to_owned());
    }
}

fn text_float(text: Option<&str>) -> Option<f64> {
    match text? {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// The columns for `value` (declared `datatype`), or why it is not stored.
pub(crate) fn to_columns(
    datatype: DataType,
    value: Option<&Value>,
    max_bytes: usize,
) -> Result<Columns, Reject> {
    let Some(value) = value else {
        return Ok(Columns {
            datatype: datatype.code(),
            is_null: true,
            ..Columns::default()
        });
    };
    let mut c = Columns {
        datatype: value.data_type().code(),
        ..Columns::default()
    };
    match value {
        Value::Int8(v) => c.v_int = Some((*v).into()),
        Value::Int16(v) => c.v_int = Some((*v).into()),
        Value::Int32(v) => c.v_int = Some((*v).into()),
        Value::Int64(v) => c.v_int = Some(*v),
        Value::UInt8(v) => c.v_int = Some((*v).into()),
        Value::UInt16(v) => c.v_int = Some((*v).into()),
        Value::UInt32(v) => c.v_int = Some((*v).into()),
        Value::UInt64(v) | Value::DateTime(v) => c.v_uint = Some(*v),
        Value::Float(v) => float_columns((*v).into(), &mut c),
        Value::Double(v) => float_columns(*v, &mut c),
        Value::Boolean(v) => c.v_bool = Some(*v),
        Value::String(s) | Value::Text(s) | Value::Uuid(s) => {
            if s.len() > max_bytes {
                return Err(Reject::TooLarge);
            }
            c.v_text = Some(s.clone());
        }
        Value::Bytes(b) | Value::File(b) => {
            if b.len() > max_bytes {
                return Err(Reject::TooLarge);
            }
            c.v_blob = Some(b.clone());
        }
        complex => {
            let mut metric = Metric::new("", complex.clone());
            metric.name = None;
            metric.datatype = Some(complex.data_type());
            let payload = Payload {
                timestamp: None,
                metrics: vec![metric],
                seq: None,
                uuid: None,
                body: None,
            };
            let blob = payload.encode_to_vec().map_err(|_| Reject::Unencodable)?;
            let json = serde_json::to_string(complex).map_err(|_| Reject::Unencodable)?;
            if blob.len() > max_bytes || json.len() > max_bytes {
                return Err(Reject::TooLarge);
            }
            c.v_blob = Some(blob);
            c.v_text = Some(json);
        }
    }
    Ok(c)
}

/// The value a row's columns hold, or a description of why they do not make one.
pub(crate) fn from_columns(c: Columns) -> Result<Option<Value>, String> {
    if c.is_null {
        return Ok(None);
    }
    let dt = DataType::from_code(c.datatype);
    let bad = || format!("a {} sample without its value column", dt.name());
    let int = |c: &Columns| c.v_int.ok_or_else(bad);
    let narrow = |v: i64| format!("{v} does not fit {}", dt.name());
    let value = match dt {
        DataType::Int8 => Value::Int8(
            int(&c)?
                .try_into()
                .map_err(|_| narrow(c.v_int.unwrap_or(0)))?,
        ),
        DataType::Int16 => Value::Int16(
            int(&c)?
                .try_into()
                .map_err(|_| narrow(c.v_int.unwrap_or(0)))?,
        ),
        DataType::Int32 => Value::Int32(
            int(&c)?
                .try_into()
                .map_err(|_| narrow(c.v_int.unwrap_or(0)))?,
        ),
        DataType::Int64 => Value::Int64(int(&c)?),
        DataType::UInt8 => Value::UInt8(
            int(&c)?
                .try_into()
                .map_err(|_| narrow(c.v_int.unwrap_or(0)))?,
        ),
        DataType::UInt16 => Value::UInt16(
            int(&c)?
                .try_into()
                .map_err(|_| narrow(c.v_int.unwrap_or(0)))?,
        ),
        DataType::UInt32 => Value::UInt32(
            int(&c)?
                .try_into()
                .map_err(|_| narrow(c.v_int.unwrap_or(0)))?,
        ),
        DataType::UInt64 => Value::UInt64(c.v_uint.ok_or_else(bad)?),
        DataType::DateTime => Value::DateTime(c.v_uint.ok_or_else(bad)?),
        DataType::Float | DataType::Double => {
            let v = c
                .v_double
                .or_else(|| text_float(c.v_text.as_deref()))
                .ok_or_else(bad)?;
            if dt == DataType::Float {
                Value::Float(v as f32)
            } else {
                Value::Double(v)
            }
        }
        DataType::Boolean => Value::Boolean(c.v_bool.ok_or_else(bad)?),
        DataType::String => Value::String(c.v_text.ok_or_else(bad)?),
        DataType::Text => Value::Text(c.v_text.ok_or_else(bad)?),
        DataType::Uuid => Value::Uuid(c.v_text.ok_or_else(bad)?),
        DataType::Bytes => Value::Bytes(c.v_blob.ok_or_else(bad)?),
        DataType::File => Value::File(c.v_blob.ok_or_else(bad)?),
        _ => {
            let blob = c.v_blob.ok_or_else(bad)?;
            let payload = Payload::decode(&blob)
                .map_err(|e| format!("a stored {} does not decode: {e}", dt.name()))?;
            payload
                .metrics
                .into_iter()
                .next()
                .and_then(|m| m.value)
                .ok_or_else(bad)?
        }
    };
    Ok(Some(value))
}

/// The numeric reading of a value for aggregates, if it has one.
#[cfg(test)]
pub(crate) fn numeric(value: &Value) -> Option<f64> {
    match value {
        Value::Boolean(b) => Some(if *b { 1.0 } else { 0.0 }),
        v => v.as_f64(),
    }
}

#[cfg(test)]
mod tests {
    use sparkplug_b::{DataSet, Template};

    use super::*;

    fn round_trip(value: Value) {
        let c = to_columns(value.data_type(), Some(&value), 1 << 20).unwrap();
        let back = from_columns(c).unwrap().unwrap();
        match (&value, &back) {
            (Value::Float(a), Value::Float(b)) if a.is_nan() => assert!(b.is_nan()),
            (Value::Double(a), Value::Double(b)) if a.is_nan() => assert!(b.is_nan()),
            _ => assert_eq!(back, value),
        }
    }

    #[test]
    fn every_scalar_round_trips() {
        for v in [
            Value::Int8(i8::MIN),
            Value::Int16(i16::MAX),
            Value::Int32(i32::MIN),
            Value::Int64(i64::MIN),
            Value::UInt8(u8::MAX),
            Value::UInt16(u16::MAX),
            Value::UInt32(u32::MAX),
            Value::UInt64(u64::MAX),
            Value::DateTime(1_700_000_000_000),
            Value::Float(1.1),
            Value::Double(-0.1),
            Value::Float(f32::NAN),
            Value::Double(f64::INFINITY),
            Value::Double(f64::NEG_INFINITY),
            Value::Boolean(true),
            Value::String("é\0x".into()),
            Value::Text(String::new()),
            Value::Uuid("2f1e".into()),
            Value::Bytes(vec![0, 255]),
            Value::File(vec![1]),
        ] {
            round_trip(v);
        }
    }

    #[test]
    fn complex_values_round_trip_through_the_codec() {
        round_trip(Value::UInt64Array(vec![0, u64::MAX]));
        round_trip(Value::StringArray(vec!["a".into(), String::new()]));
        round_trip(Value::DataSet(Box::new(
            DataSet::new([("a", DataType::Int32)]).with_row(vec![Some(Value::Int32(-1))]),
        )));
        round_trip(Value::Template(Box::new(Template::instance(
            "Motor",
            vec![Metric::new("rpm", Value::Double(3.5))],
        ))));
    }

    #[test]
    fn nulls_keep_the_declared_type_and_big_values_are_rejected() {
        let c = to_columns(DataType::Int64, None, 10).unwrap();
        assert!(c.is_null);
        assert_eq!(c.datatype, 4);
        assert_eq!(from_columns(c).unwrap(), None);
        let big = Value::String("x".repeat(11));
        assert_eq!(
            to_columns(DataType::String, Some(&big), 10),
            Err(Reject::TooLarge)
        );
    }

    #[test]
    fn a_missing_column_is_an_error_not_a_panic() {
        let c = Columns {
            datatype: 4,
            ..Columns::default()
        };
        assert!(from_columns(c).is_err());
        assert_eq!(numeric(&Value::Boolean(true)), Some(1.0));
    }
}
