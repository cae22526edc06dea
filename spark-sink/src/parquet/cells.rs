//! Which value column a [`Value`] goes to, as in the SQL store: integers that fit `i64` to
//! `int_value`, UInt64 and DateTime to `uint_value` (no loss above `i64::MAX`), Float and
//! Double to `double_value` (a Float widens exactly; NaN and infinities are kept), Boolean to
//! `bool_value`, String, Text and UUID to `string_value`, Bytes and File to `bytes_value`, and
//! everything else (arrays, DataSet, Template, property sets) to `json_value` in the JSON
//! rendering of `docs/JSON.md`.

use std::borrow::Cow;

use sparkplug_b::{DataType, Value};

/// One sample's value, ready for its column.
#[derive(Debug, PartialEq)]
pub(crate) enum Cell<'a> {
    /// No value (null).
    Null,
    Int(i64),
    UInt(u64),
    Double(f64),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    Json(String),
}

impl Cell<'_> {
    /// The bytes the value occupies in a variable-width column.
    pub(crate) fn data_len(&self) -> usize {
        match self {
            Cell::Str(s) => s.len(),
            Cell::Bytes(b) => b.len(),
            Cell::Json(j) => j.len(),
            _ => 0,
        }
    }
}

/// Why a value cannot be stored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum CellError {
    #[error("a value of {len} bytes is larger than the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("the value cannot be rendered as JSON: {0}")]
    Json(String),
}

/// The cell for `value`; values larger than `limit` bytes are refused.
pub(crate) fn cell(value: Option<&Value>, limit: usize) -> Result<Cell<'_>, CellError> {
    let Some(value) = value else {
        return Ok(Cell::Null);
    };
    let cell = match value {
        Value::Int8(v) => Cell::Int((*v).into()),
        Value::Int16(v) => Cell::Int((*v).into()),
        Value::Int32(v) => Cell::Int((*v).into()),
        Value::Int64(v) => Cell::Int(*v),
        Value::UInt8(v) => Cell::Int((*v).into()),
        Value::UInt16(v) => Cell::Int((*v).into()),
        Value::UInt32(v) => Cell::Int((*v).into()),
        Value::UInt64(v) | Value::DateTime(v) => Cell::UInt(*v),
        Value::Float(v) => Cell::Double((*v).into()),
        Value::Double(v) => Cell::Double(*v),
        Value::Boolean(v) => Cell::Bool(*v),
        Value::String(s) | Value::Text(s) | Value::Uuid(s) => Cell::Str(s),
        Value::Bytes(b) | Value::File(b) => Cell::Bytes(b),
        other => {
            Cell::Json(serde_json::to_string(other).map_err(|e| CellError::Json(e.to_string()))?)
        }
    };
    let len = cell.data_len();
    if len > limit {
        return Err(CellError::TooLarge { len, limit });
    }
    Ok(cell)
}

/// The datatype's spec name; an unrecognised code as `Unrecognized(<code>)`.
pub(crate) fn datatype_name(datatype: DataType) -> Cow<'static, str> {
    match datatype {
        DataType::Unrecognized(code) => Cow::Owned(format!("Unrecognized({code})")),
        known => Cow::Borrowed(known.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_go_to_their_column() {
        let big = u64::MAX;
        assert_eq!(cell(Some(&Value::Int8(-1)), 10), Ok(Cell::Int(-1)));
        assert_eq!(
            cell(Some(&Value::UInt32(u32::MAX)), 10),
            Ok(Cell::Int(4_294_967_295))
        );
        assert_eq!(cell(Some(&Value::UInt64(big)), 10), Ok(Cell::UInt(big)));
        assert_eq!(cell(Some(&Value::DateTime(5)), 10), Ok(Cell::UInt(5)));
        assert_eq!(cell(Some(&Value::Float(0.5)), 10), Ok(Cell::Double(0.5)));
        assert_eq!(cell(Some(&Value::Boolean(true)), 10), Ok(Cell::Bool(true)));
        assert_eq!(cell(Some(&Value::Text("t".into())), 10), Ok(Cell::Str("t")));
        assert_eq!(cell(Some(&Value::File(vec![1])), 10), Ok(Cell::Bytes(&[1])));
        assert_eq!(cell(None, 10), Ok(Cell::Null));
        assert_eq!(
            cell(Some(&Value::Int32Array(vec![1, -2])), 10),
            Ok(Cell::Json("[1,-2]".into()))
        );
    }

    #[test]
    fn non_finite_floats_are_kept() {
        let Ok(Cell::Double(v)) = cell(Some(&Value::Double(f64::NAN)), 0) else {
            panic!("a double cell")
        };
        assert!(v.is_nan());
        assert_eq!(
            cell(Some(&Value::Float(f32::NEG_INFINITY)), 0),
            Ok(Cell::Double(f64::NEG_INFINITY))
        );
    }

    #[test]
    fn oversized_values_are_refused() {
        let s = Value::String("x".repeat(11));
        assert_eq!(
            cell(Some(&s), 10),
            Err(CellError::TooLarge { len: 11, limit: 10 })
        );
    }

    #[test]
    fn unrecognised_datatypes_keep_their_code() {
        assert_eq!(datatype_name(DataType::Int8), "Int8");
        assert_eq!(datatype_name(DataType::from_code(99)), "Unrecognized(99)");
    }
}
