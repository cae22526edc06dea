//! Packing of the 13 array types into `bytes_value` (SPARKPLUG.md 3.3).
//!
//! Fixed-width elements are little-endian with no count. BooleanArray is a little-endian `u32`
//! count followed by `ceil(count / 8)` bytes of bits, MSB first (element `i` is bit `7 - i % 8`
//! of byte `i / 8`). StringArray is UTF-8 strings each followed by a NUL terminator.

use crate::error::{EncodeError, ValueError};
use crate::{DataType, Value};

/// Splits `bytes` into `N`-byte elements, rejecting a ragged tail.
fn chunks<const N: usize>(
    datatype: DataType,
    bytes: &[u8],
) -> Result<core::slice::ChunksExact<'_, u8>, ValueError> {
    if bytes.len() % N != 0 {
        return Err(ValueError::ArrayLength {
            datatype,
            len: bytes.len(),
            width: N,
        });
    }
    Ok(bytes.chunks_exact(N))
}

macro_rules! unpack_le {
    ($datatype:expr, $bytes:expr, $ty:ty) => {{
        const W: usize = core::mem::size_of::<$ty>();
        chunks::<W>($datatype, $bytes)?
            .map(|c| {
                let mut le = [0u8; W];
                le.copy_from_slice(c);
                <$ty>::from_le_bytes(le)
            })
            .collect()
    }};
}

/// Reads the array type `datatype` from `bytes`. `None` when `datatype` is not an array type.
pub(crate) fn unpack(datatype: DataType, bytes: &[u8]) -> Option<Result<Value, ValueError>> {
    datatype.is_array().then(|| unpack_array(datatype, bytes))
}

fn unpack_array(datatype: DataType, bytes: &[u8]) -> Result<Value, ValueError> {
    Ok(match datatype {
        DataType::Int8Array => Value::Int8Array(bytes.iter().map(|&b| b as i8).collect()),
        DataType::UInt8Array => Value::UInt8Array(bytes.to_vec()),
        DataType::Int16Array => Value::Int16Array(unpack_le!(datatype, bytes, i16)),
        DataType::Int32Array => Value::Int32Array(unpack_le!(datatype, bytes, i32)),
        DataType::Int64Array => Value::Int64Array(unpack_le!(datatype, bytes, i64)),
        DataType::UInt16Array => Value::UInt16Array(unpack_le!(datatype, bytes, u16)),
        DataType::UInt32Array => Value::UInt32Array(unpack_le!(datatype, bytes, u32)),
        DataType::UInt64Array => Value::UInt64Array(unpack_le!(datatype, bytes, u64)),
        DataType::FloatArray => Value::FloatArray(unpack_le!(datatype, bytes, f32)),
        DataType::DoubleArray => Value::DoubleArray(unpack_le!(datatype, bytes, f64)),
        DataType::DateTimeArray => Value::DateTimeArray(unpack_le!(datatype, bytes, u64)),
        DataType::BooleanArray => Value::BooleanArray(unpack_bools(bytes)?),
        // The only array type left; `unpack` checked `is_array`.
        _ => Value::StringArray(unpack_strings(bytes)?),
    })
}

fn unpack_bools(bytes: &[u8]) -> Result<Vec<bool>, ValueError> {
    let (count, bits) = bytes
        .split_first_chunk::<4>()
        .ok_or(ValueError::BooleanArrayHeader)?;
    let count = u32::from_le_bytes(*count);
    // The count is checked against the bytes actually present before anything is allocated.
    if (count as usize).div_ceil(8) != bits.len() {
        return Err(ValueError::BooleanArrayCount {
            count,
            bytes: bits.len(),
        });
    }
    Ok((0..count as usize)
        .map(|i| bits[i / 8] & (0x80 >> (i % 8)) != 0)
        .collect())
}

fn unpack_strings(bytes: &[u8]) -> Result<Vec<String>, ValueError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let Some(body) = bytes.strip_suffix(&[0]) else {
        return Err(ValueError::UnterminatedString);
    };
    body.split(|&b| b == 0)
        .map(|s| {
            core::str::from_utf8(s)
                .map(str::to_owned)
                .map_err(|_| ValueError::InvalidUtf8)
        })
        .collect()
}

/// Appends the `bytes_value` encoding of an array value to `out`. `None` when `value` is not
/// an array.
pub(crate) fn pack(value: &Value, out: &mut Vec<u8>) -> Option<Result<(), EncodeError>> {
    fn le<const N: usize, T: Copy>(out: &mut Vec<u8>, items: &[T], f: fn(T) -> [u8; N]) {
        out.reserve(items.len() * N);
        for &item in items {
            out.extend_from_slice(&f(item));
        }
    }
    match value {
        Value::Int8Array(v) => out.extend(v.iter().map(|&x| x as u8)),
        Value::UInt8Array(v) => out.extend_from_slice(v),
        Value::Int16Array(v) => le(out, v, i16::to_le_bytes),
        Value::Int32Array(v) => le(out, v, i32::to_le_bytes),
        Value::Int64Array(v) => le(out, v, i64::to_le_bytes),
        Value::UInt16Array(v) => le(out, v, u16::to_le_bytes),
        Value::UInt32Array(v) => le(out, v, u32::to_le_bytes),
        Value::UInt64Array(v) => le(out, v, u64::to_le_bytes),
        Value::FloatArray(v) => le(out, v, f32::to_le_bytes),
        Value::DoubleArray(v) => le(out, v, f64::to_le_bytes),
        Value::DateTimeArray(v) => le(out, v, u64::to_le_bytes),
        Value::BooleanArray(v) => {
            let Ok(count) = u32::try_from(v.len()) else {
                return Some(Err(EncodeError::BooleanArrayTooLong));
            };
            out.extend_from_slice(&count.to_le_bytes());
            for chunk in v.chunks(8) {
                let byte = chunk
                    .iter()
                    .enumerate()
                    .fold(0u8, |acc, (i, &b)| acc | if b { 0x80 >> i } else { 0 });
                out.push(byte);
            }
        }
        Value::StringArray(v) => {
            for s in v {
                if s.as_bytes().contains(&0) {
                    return Some(Err(EncodeError::NulInStringArray));
                }
                out.extend_from_slice(s.as_bytes());
                out.push(0);
            }
        }
        _ => return None,
    }
    Some(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(value: Value) -> Vec<u8> {
        let mut out = Vec::new();
        pack(&value, &mut out)
            .expect("an array")
            .expect("encodable");
        let back = unpack(value.data_type(), &out)
            .expect("an array")
            .expect("decodable");
        assert_eq!(back, value, "round trip");
        out
    }

    /// The spec's array examples, with the errata of the 3.0.0 text corrected (SPARKPLUG.md
    /// 3.3: Int8, Float, Double and DateTime arrays were printed wrong).
    #[test]
    fn spec_examples_corrected() {
        assert_eq!(packed(Value::Int8Array(vec![-23, 123])), [0xE9, 0x7B]);
        assert_eq!(
            packed(Value::Int16Array(vec![-30000, 30000])),
            [0xD0, 0x8A, 0x30, 0x75]
        );
        assert_eq!(
            packed(Value::Int32Array(vec![-1, 315338746])),
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFA, 0xAF, 0xCB, 0x12]
        );
        assert_eq!(
            packed(Value::Int32Array(vec![123456789, 987654321])),
            [0x15, 0xCD, 0x5B, 0x07, 0xB1, 0x68, 0xDE, 0x3A]
        );
        assert_eq!(
            packed(Value::Int64Array(vec![
                -4270929666821191986,
                -3601064768563266876
            ])),
            [
                0xCE, 0x06, 0x72, 0xAC, 0x18, 0x9C, 0xBA, 0xC4, 0xC4, 0xBA, 0x9C, 0x18, 0xAC, 0x72,
                0x06, 0xCE
            ]
        );
        assert_eq!(packed(Value::UInt8Array(vec![23, 250])), [0x17, 0xFA]);
        assert_eq!(
            packed(Value::UInt16Array(vec![30, 52360])),
            [0x1E, 0x00, 0x88, 0xCC]
        );
        assert_eq!(
            packed(Value::UInt32Array(vec![52, 3293969225])),
            [0x34, 0x00, 0x00, 0x00, 0x49, 0xFB, 0x55, 0xC4]
        );
        assert_eq!(
            packed(Value::UInt64Array(vec![52, 16444743074749521625])),
            [
                0x34, 0, 0, 0, 0, 0, 0, 0, 0xD9, 0x9E, 0x02, 0xD1, 0xB2, 0x76, 0x37, 0xE4
            ]
        );
        assert_eq!(
            packed(Value::FloatArray(vec![1.23, 89.341])),
            [0xA4, 0x70, 0x9D, 0x3F, 0x98, 0xAE, 0xB2, 0x42]
        );
        assert_eq!(
            packed(Value::DoubleArray(vec![12.354213, 1022.9123213])),
            [
                0xD7, 0xA2, 0x05, 0x68, 0x5B, 0xB5, 0x28, 0x40, 0x8E, 0x17, 0x1C, 0x6F, 0x4C, 0xF7,
                0x8F, 0x40
            ]
        );
        assert_eq!(
            packed(Value::DateTimeArray(vec![1256102875335, 1656107875000])),
            [
                0xC7, 0xD0, 0x90, 0x75, 0x24, 0x01, 0x00, 0x00, 0xB8, 0xBA, 0xB8, 0x97, 0x81, 0x01,
                0x00, 0x00
            ]
        );
        let bools = [
            false, false, true, true, false, true, false, false, true, true, false, true,
        ];
        assert_eq!(
            packed(Value::BooleanArray(bools.to_vec())),
            [0x0C, 0, 0, 0, 0x34, 0xD0]
        );
        assert_eq!(
            packed(Value::StringArray(vec!["ABC".into(), "hello".into()])),
            [0x41, 0x42, 0x43, 0x00, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0x00]
        );
    }

    #[test]
    fn empty_arrays() {
        assert_eq!(packed(Value::BooleanArray(vec![])), [0, 0, 0, 0]);
        assert!(packed(Value::StringArray(vec![])).is_empty());
        assert!(packed(Value::DoubleArray(vec![])).is_empty());
        // An empty string is one terminator.
        assert_eq!(packed(Value::StringArray(vec![String::new()])), [0]);
    }

    #[test]
    fn malformed_arrays_are_errors() {
        let err = unpack(DataType::Int32Array, &[1, 2, 3])
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err,
            ValueError::ArrayLength {
                datatype: DataType::Int32Array,
                len: 3,
                width: 4
            }
        );
        assert_eq!(
            unpack(DataType::BooleanArray, &[1, 0]).unwrap(),
            Err(ValueError::BooleanArrayHeader)
        );
        // A hostile count is rejected before any allocation.
        let hostile = [0xff, 0xff, 0xff, 0xff, 0x00];
        assert_eq!(
            unpack(DataType::BooleanArray, &hostile).unwrap(),
            Err(ValueError::BooleanArrayCount {
                count: u32::MAX,
                bytes: 1
            })
        );
        assert_eq!(
            unpack(DataType::StringArray, b"abc").unwrap(),
            Err(ValueError::UnterminatedString)
        );
        assert_eq!(
            unpack(DataType::StringArray, &[0xff, 0]).unwrap(),
            Err(ValueError::InvalidUtf8)
        );
        assert!(unpack(DataType::Int32, &[]).is_none());
    }

    #[test]
    fn nul_in_string_array_cannot_be_encoded() {
        let mut out = Vec::new();
        let r = pack(&Value::StringArray(vec!["a\0b".into()]), &mut out).unwrap();
        assert_eq!(r, Err(EncodeError::NulInStringArray));
    }
}
