//! The typed value of a metric, property, template parameter or DataSet cell.

use crate::error::{ValueError, WireField};
use crate::{DataSet, DataType, PropertySet, Template};

/// A Sparkplug value, one variant per data type.
///
/// The variant is the data type: `Value::Int8(-1)` is written to the wire as an Int8 (sign
/// extended into `int_value`), `Value::UInt32` as a UInt32, and so on.
///
/// Values decoded from a data message that carries no datatype (usual for NDATA, DDATA, NCMD and
/// DCMD) cannot know their type yet. They hold the *natural* type of the wire field that carried
/// them: `int_value` gives [`Value::UInt32`], `long_value` [`Value::UInt64`], `string_value`
/// [`Value::String`], `bytes_value` [`Value::Bytes`], and so on. [`Value::reinterpret`] (used by
/// [`AliasTable`](crate::AliasTable) with the birth's datatype) turns them into the typed value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// Int8 (1).
    Int8(i8),
    /// Int16 (2).
    Int16(i16),
    /// Int32 (3).
    Int32(i32),
    /// Int64 (4).
    Int64(i64),
    /// UInt8 (5).
    UInt8(u8),
    /// UInt16 (6).
    UInt16(u16),
    /// UInt32 (7); also the natural value of `int_value`.
    UInt32(u32),
    /// UInt64 (8); also the natural value of `long_value`.
    UInt64(u64),
    /// Float (9).
    Float(f32),
    /// Double (10).
    Double(f64),
    /// Boolean (11).
    Boolean(bool),
    /// String (12); also the natural value of `string_value`.
    String(String),
    /// DateTime (13): milliseconds since the Unix epoch, UTC.
    DateTime(u64),
    /// Text (14).
    Text(String),
    /// UUID (15), as text.
    Uuid(String),
    /// DataSet (16).
    DataSet(Box<DataSet>),
    /// Bytes (17); also the natural value of `bytes_value`.
    Bytes(Vec<u8>),
    /// File (18): the file's contents (its name and type go in the metric's metadata).
    File(Vec<u8>),
    /// Template (19): a definition or an instance.
    Template(Box<Template>),
    /// PropertySet (20): only as a property value.
    PropertySet(Box<PropertySet>),
    /// PropertySetList (21): only as a property value.
    PropertySetList(Vec<PropertySet>),
    /// Int8Array (22).
    Int8Array(Vec<i8>),
    /// Int16Array (23).
    Int16Array(Vec<i16>),
    /// Int32Array (24).
    Int32Array(Vec<i32>),
    /// Int64Array (25).
    Int64Array(Vec<i64>),
    /// UInt8Array (26).
    UInt8Array(Vec<u8>),
    /// UInt16Array (27).
    UInt16Array(Vec<u16>),
    /// UInt32Array (28).
    UInt32Array(Vec<u32>),
    /// UInt64Array (29).
    UInt64Array(Vec<u64>),
    /// FloatArray (30).
    FloatArray(Vec<f32>),
    /// DoubleArray (31).
    DoubleArray(Vec<f64>),
    /// BooleanArray (32).
    BooleanArray(Vec<bool>),
    /// StringArray (33): strings must not contain NUL.
    StringArray(Vec<String>),
    /// DateTimeArray (34): epoch milliseconds, UTC.
    DateTimeArray(Vec<u64>),
}

impl Value {
    /// The data type this value is written as.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Int8(_) => DataType::Int8,
            Value::Int16(_) => DataType::Int16,
            Value::Int32(_) => DataType::Int32,
            Value::Int64(_) => DataType::Int64,
            Value::UInt8(_) => DataType::UInt8,
            Value::UInt16(_) => DataType::UInt16,
            Value::UInt32(_) => DataType::UInt32,
            Value::UInt64(_) => DataType::UInt64,
            Value::Float(_) => DataType::Float,
            Value::Double(_) => DataType::Double,
            Value::Boolean(_) => DataType::Boolean,
            Value::String(_) => DataType::String,
            Value::DateTime(_) => DataType::DateTime,
            Value::Text(_) => DataType::Text,
            Value::Uuid(_) => DataType::Uuid,
            Value::DataSet(_) => DataType::DataSet,
            Value::Bytes(_) => DataType::Bytes,
            Value::File(_) => DataType::File,
            Value::Template(_) => DataType::Template,
            Value::PropertySet(_) => DataType::PropertySet,
            Value::PropertySetList(_) => DataType::PropertySetList,
            Value::Int8Array(_) => DataType::Int8Array,
            Value::Int16Array(_) => DataType::Int16Array,
            Value::Int32Array(_) => DataType::Int32Array,
            Value::Int64Array(_) => DataType::Int64Array,
            Value::UInt8Array(_) => DataType::UInt8Array,
            Value::UInt16Array(_) => DataType::UInt16Array,
            Value::UInt32Array(_) => DataType::UInt32Array,
            Value::UInt64Array(_) => DataType::UInt64Array,
            Value::FloatArray(_) => DataType::FloatArray,
            Value::DoubleArray(_) => DataType::DoubleArray,
            Value::BooleanArray(_) => DataType::BooleanArray,
            Value::StringArray(_) => DataType::StringArray,
            Value::DateTimeArray(_) => DataType::DateTimeArray,
        }
    }

    /// The protobuf field this value travels in. UInt32 is given as `int_value`, the spec's
    /// choice; the encoder can be told to use `long_value` instead
    /// ([`EncodeOptions::uint32_in_long_value`](crate::EncodeOptions)).
    pub fn wire_field(&self) -> WireField {
        match self {
            Value::Int8(_)
            | Value::Int16(_)
            | Value::Int32(_)
            | Value::UInt8(_)
            | Value::UInt16(_)
            | Value::UInt32(_) => WireField::IntValue,
            Value::Int64(_) | Value::UInt64(_) | Value::DateTime(_) => WireField::LongValue,
            Value::Float(_) => WireField::FloatValue,
            Value::Double(_) => WireField::DoubleValue,
            Value::Boolean(_) => WireField::BooleanValue,
            Value::String(_) | Value::Text(_) | Value::Uuid(_) => WireField::StringValue,
            Value::DataSet(_) => WireField::DataSetValue,
            Value::Template(_) => WireField::TemplateValue,
            Value::PropertySet(_) => WireField::PropertySetValue,
            Value::PropertySetList(_) => WireField::PropertySetsValue,
            _ => WireField::BytesValue,
        }
    }

    /// Reads this value as `datatype`: the step that turns the natural value of a wire field
    /// into a typed value once the datatype is known (from the metric itself or from its birth).
    ///
    /// The wire rules of SPARKPLUG.md section 3.2 apply: Int8/16/32 keep the low 8/16/32 bits
    /// of the field reinterpreted as signed, so sign-extending and zero-extending senders both
    /// decode; UInt32 is accepted from `int_value` and from `long_value`; unsigned values that do
    /// not fit their type are errors; arrays are unpacked from `bytes_value`.
    ///
    /// A value that already has type `datatype` is returned unchanged, and so is any value when
    /// `datatype` names no value type (Unknown, or an unrecognised code): validation reports
    /// those, decoding keeps what arrived.
    pub fn reinterpret(self, datatype: DataType) -> Result<Value, ValueError> {
        self.try_reinterpret(datatype).map_err(|(_, e)| e)
    }

    /// [`Value::reinterpret`], giving the value back on failure so a caller can keep it.
    pub fn try_reinterpret(self, datatype: DataType) -> Result<Value, (Value, ValueError)> {
        use DataType as T;
        if self.data_type() == datatype || matches!(datatype, T::Unknown | T::Unrecognized(_)) {
            return Ok(self);
        }
        let out_of_range = |value: u64| ValueError::OutOfRange { datatype, value };
        Ok(match (self, datatype) {
            (Value::UInt32(x), T::Int8) => Value::Int8(x as u8 as i8),
            (Value::UInt32(x), T::Int16) => Value::Int16(x as u16 as i16),
            (Value::UInt32(x), T::Int32) => Value::Int32(x as i32),
            (Value::UInt32(x), T::UInt8) => match u8::try_from(x) {
                Ok(v) => Value::UInt8(v),
                Err(_) => return Err((Value::UInt32(x), out_of_range(x.into()))),
            },
            (Value::UInt32(x), T::UInt16) => match u16::try_from(x) {
                Ok(v) => Value::UInt16(v),
                Err(_) => return Err((Value::UInt32(x), out_of_range(x.into()))),
            },
            // 64-bit types belong in long_value; a 32-bit field is widened the way its sender
            // must have narrowed it (signed types sign-extended, the others zero-extended).
            (Value::UInt32(x), T::Int64) => Value::Int64(i64::from(x as i32)),
            (Value::UInt32(x), T::UInt64) => Value::UInt64(x.into()),
            (Value::UInt32(x), T::DateTime) => Value::DateTime(x.into()),
            (Value::UInt64(x), T::Int8) => Value::Int8(x as u8 as i8),
            (Value::UInt64(x), T::Int16) => Value::Int16(x as u16 as i16),
            (Value::UInt64(x), T::Int32) => Value::Int32(x as u32 as i32),
            (Value::UInt64(x), T::Int64) => Value::Int64(x as i64),
            (Value::UInt64(x), T::UInt8) => match u8::try_from(x) {
                Ok(v) => Value::UInt8(v),
                Err(_) => return Err((Value::UInt64(x), out_of_range(x))),
            },
            (Value::UInt64(x), T::UInt16) => match u16::try_from(x) {
                Ok(v) => Value::UInt16(v),
                Err(_) => return Err((Value::UInt64(x), out_of_range(x))),
            },
            (Value::UInt64(x), T::UInt32) => match u32::try_from(x) {
                Ok(v) => Value::UInt32(v),
                Err(_) => return Err((Value::UInt64(x), out_of_range(x))),
            },
            (Value::UInt64(x), T::DateTime) => Value::DateTime(x),
            (Value::String(s), T::Text) => Value::Text(s),
            (Value::String(s), T::Uuid) => Value::Uuid(s),
            (Value::Bytes(b), T::File) => Value::File(b),
            (Value::Bytes(b), array) => match crate::array::unpack(array, &b) {
                Some(Ok(v)) => v,
                Some(Err(e)) => return Err((Value::Bytes(b), e)),
                None => {
                    let e = ValueError::WrongField {
                        datatype,
                        field: WireField::BytesValue,
                    };
                    return Err((Value::Bytes(b), e));
                }
            },
            (other, _) => {
                let field = other.wire_field();
                return Err((other, ValueError::WrongField { datatype, field }));
            }
        })
    }

    /// The value as a boolean, for Boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Boolean(b) => Some(b),
            _ => None,
        }
    }

    /// The value as an `i64`, for every integer type and DateTime whose value fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int8(v) => Some(v.into()),
            Value::Int16(v) => Some(v.into()),
            Value::Int32(v) => Some(v.into()),
            Value::Int64(v) => Some(v),
            Value::UInt8(v) => Some(v.into()),
            Value::UInt16(v) => Some(v.into()),
            Value::UInt32(v) => Some(v.into()),
            Value::UInt64(v) | Value::DateTime(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a `u64`, for every integer type and DateTime whose value is not negative.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::UInt64(v) | Value::DateTime(v) => Some(v),
            _ => self.as_i64().and_then(|v| u64::try_from(v).ok()),
        }
    }

    /// The value as an `f64`, for Float, Double and the integer types (64-bit integers beyond
    /// 2^53 lose precision).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(v) => Some(v.into()),
            Value::Double(v) => Some(v),
            Value::UInt64(v) => Some(v as f64),
            _ => self.as_i64().map(|v| v as f64),
        }
    }

    /// The text of a String, Text or UUID.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Text(s) | Value::Uuid(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a Bytes or File value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) | Value::File(b) => Some(b),
            _ => None,
        }
    }
}

macro_rules! from_primitive {
    ($($ty:ty => $variant:ident),* $(,)?) => {$(
        impl From<$ty> for Value {
            fn from(v: $ty) -> Self {
                Value::$variant(v.into())
            }
        }
    )*};
}

from_primitive! {
    i8 => Int8, i16 => Int16, i32 => Int32, i64 => Int64,
    u8 => UInt8, u16 => UInt16, u32 => UInt32, u64 => UInt64,
    f32 => Float, f64 => Double, bool => Boolean,
    String => String, &str => String, Vec<u8> => Bytes,
    DataSet => DataSet, Template => Template,
    Vec<i8> => Int8Array, Vec<i16> => Int16Array, Vec<i32> => Int32Array, Vec<i64> => Int64Array,
    Vec<u16> => UInt16Array, Vec<u32> => UInt32Array, Vec<u64> => UInt64Array,
    Vec<f32> => FloatArray, Vec<f64> => DoubleArray, Vec<bool> => BooleanArray,
    Vec<String> => StringArray,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tck-id-payloads-metric-datatype-value and SPARKPLUG.md 3.2: signed types take the low
    /// bits of int_value, whether the sender sign-extended or zero-extended.
    #[test]
    fn signed_integers_truncate() {
        assert_eq!(
            Value::UInt32(0xffff_ffff).reinterpret(DataType::Int8),
            Ok(Value::Int8(-1))
        );
        assert_eq!(
            Value::UInt32(0xff).reinterpret(DataType::Int8),
            Ok(Value::Int8(-1))
        );
        assert_eq!(
            Value::UInt32(0xffff_8000).reinterpret(DataType::Int16),
            Ok(Value::Int16(-32768))
        );
        assert_eq!(
            Value::UInt32(0x8000).reinterpret(DataType::Int16),
            Ok(Value::Int16(-32768))
        );
        assert_eq!(
            Value::UInt32(0x8000_0000).reinterpret(DataType::Int32),
            Ok(Value::Int32(i32::MIN))
        );
        assert_eq!(
            Value::UInt64(u64::MAX).reinterpret(DataType::Int64),
            Ok(Value::Int64(-1))
        );
        assert_eq!(
            Value::UInt64(u64::MAX).reinterpret(DataType::Int32),
            Ok(Value::Int32(-1))
        );
    }

    /// SPARKPLUG.md 3.2: UInt32 is accepted from int_value (spec) and long_value (Tahu).
    #[test]
    fn uint32_from_either_field() {
        assert_eq!(
            Value::UInt32(7).reinterpret(DataType::UInt32),
            Ok(Value::UInt32(7))
        );
        assert_eq!(
            Value::UInt64(4_000_000_000).reinterpret(DataType::UInt32),
            Ok(Value::UInt32(4_000_000_000))
        );
        assert_eq!(
            Value::UInt64(1 << 32).reinterpret(DataType::UInt32),
            Err(ValueError::OutOfRange {
                datatype: DataType::UInt32,
                value: 1 << 32
            })
        );
        assert_eq!(
            Value::UInt32(256).reinterpret(DataType::UInt8),
            Err(ValueError::OutOfRange {
                datatype: DataType::UInt8,
                value: 256
            })
        );
    }

    #[test]
    fn strings_bytes_and_mismatches() {
        assert_eq!(
            Value::from("u").reinterpret(DataType::Uuid),
            Ok(Value::Uuid("u".into()))
        );
        assert_eq!(
            Value::Bytes(vec![1]).reinterpret(DataType::File),
            Ok(Value::File(vec![1]))
        );
        assert_eq!(
            Value::Bytes(vec![1, 2]).reinterpret(DataType::UInt8Array),
            Ok(Value::UInt8Array(vec![1, 2]))
        );
        assert_eq!(
            Value::Boolean(true).reinterpret(DataType::Int8),
            Err(ValueError::WrongField {
                datatype: DataType::Int8,
                field: WireField::BooleanValue
            })
        );
        assert_eq!(
            Value::Double(1.0).reinterpret(DataType::Float),
            Err(ValueError::WrongField {
                datatype: DataType::Float,
                field: WireField::DoubleValue
            })
        );
        // No usable datatype: the natural value is kept for validation to report.
        assert_eq!(
            Value::UInt32(1).reinterpret(DataType::Unrecognized(99)),
            Ok(Value::UInt32(1))
        );
    }

    #[test]
    fn accessors() {
        assert_eq!(Value::Int8(-3).as_i64(), Some(-3));
        assert_eq!(Value::UInt64(u64::MAX).as_i64(), None);
        assert_eq!(Value::UInt64(u64::MAX).as_u64(), Some(u64::MAX));
        assert_eq!(Value::Int16(-1).as_u64(), None);
        assert_eq!(Value::Float(1.5).as_f64(), Some(1.5));
        assert_eq!(Value::Text("t".into()).as_str(), Some("t"));
        assert_eq!(Value::File(vec![9]).as_bytes(), Some(&[9u8][..]));
        assert_eq!(Value::Boolean(true).as_bool(), Some(true));
    }
}
