//! From generated numbers to Sparkplug values of every datatype, and back for commands.
//!
//! Numbers become: integers by rounding and saturating to the type's range; Boolean by
//! `x >= 0.5`; String and Text by formatting with three decimals; DateTime by the sample's
//! timestamp plus `x` ms; UUID by a version-4-shaped UUID made from the sample; Bytes and File
//! by the little-endian bytes of `x` as f64; arrays by `array_len` elements `x, x+1, ...`;
//! DataSet by a one-row table (`t` DateTime, `value` Double); Template by an instance of
//! `Sample` with one member `value` (Double), whose definition ([`sample_definition`]) the
//! node's NBIRTH carries (`tck-id-payloads-template-definition-nbirth`).

use sparkplug_b::{DataSet, DataType, Metric, Template, Value};

/// The datatype named `name` (the spec's spelling, any case), if a metric can have it.
pub(crate) fn parse_datatype(name: &str) -> Result<DataType, String> {
    let found = DataType::ALL
        .iter()
        .copied()
        .find(|d| d.name().eq_ignore_ascii_case(name));
    match found {
        Some(d) if d.is_metric_type() => Ok(d),
        Some(d) => Err(format!("datatype {} cannot be a metric's", d.name())),
        None => Err(format!("unknown datatype {name:?}")),
    }
}

/// `x` as a value of `datatype`, sampled at `timestamp` (ms).
pub(crate) fn to_value(datatype: DataType, x: f64, timestamp: u64, array_len: usize) -> Value {
    let arr = |i: usize| x + i as f64;
    let n = array_len;
    match datatype {
        DataType::Int8 => Value::Int8(x.round() as i8),
        DataType::Int16 => Value::Int16(x.round() as i16),
        DataType::Int32 => Value::Int32(x.round() as i32),
        DataType::Int64 => Value::Int64(x.round() as i64),
        DataType::UInt8 => Value::UInt8(x.round() as u8),
        DataType::UInt16 => Value::UInt16(x.round() as u16),
        DataType::UInt32 => Value::UInt32(x.round() as u32),
        DataType::UInt64 => Value::UInt64(x.round() as u64),
        DataType::Float => Value::Float(x as f32),
        DataType::Boolean => Value::Boolean(x >= 0.5),
        DataType::String => Value::String(format!("{x:.3}")),
        DataType::Text => Value::Text(format!("value {x:.3}")),
        DataType::DateTime => Value::DateTime(timestamp.saturating_add_signed(x as i64)),
        DataType::Uuid => Value::Uuid(uuid_from(x.to_bits() ^ timestamp)),
        DataType::Bytes => Value::Bytes(x.to_le_bytes().to_vec()),
        DataType::File => Value::File(x.to_le_bytes().to_vec()),
        DataType::DataSet => Value::DataSet(Box::new(
            DataSet::new([("t", DataType::DateTime), ("value", DataType::Double)]).with_row(vec![
                Some(Value::DateTime(timestamp)),
                Some(Value::Double(x)),
            ]),
        )),
        DataType::Template => Value::Template(Box::new(Template::instance(
            SAMPLE_TEMPLATE,
            vec![Metric::new("value", x)],
        ))),
        DataType::Int8Array => Value::Int8Array((0..n).map(|i| arr(i).round() as i8).collect()),
        DataType::Int16Array => Value::Int16Array((0..n).map(|i| arr(i).round() as i16).collect()),
        DataType::Int32Array => Value::Int32Array((0..n).map(|i| arr(i).round() as i32).collect()),
        DataType::Int64Array => Value::Int64Array((0..n).map(|i| arr(i).round() as i64).collect()),
        DataType::UInt8Array => Value::UInt8Array((0..n).map(|i| arr(i).round() as u8).collect()),
        DataType::UInt16Array => {
            Value::UInt16Array((0..n).map(|i| arr(i).round() as u16).collect())
        }
        DataType::UInt32Array => {
            Value::UInt32Array((0..n).map(|i| arr(i).round() as u32).collect())
        }
        DataType::UInt64Array => {
            Value::UInt64Array((0..n).map(|i| arr(i).round() as u64).collect())
        }
        DataType::FloatArray => Value::FloatArray((0..n).map(|i| arr(i) as f32).collect()),
        DataType::DoubleArray => Value::DoubleArray((0..n).map(arr).collect()),
        DataType::BooleanArray => Value::BooleanArray((0..n).map(|i| arr(i) >= 0.5).collect()),
        DataType::StringArray => {
            Value::StringArray((0..n).map(|i| format!("{:.3}", arr(i))).collect())
        }
        DataType::DateTimeArray => Value::DateTimeArray(
            (0..n)
                .map(|i| timestamp.saturating_add_signed(arr(i) as i64))
                .collect(),
        ),
        // Double, and anything parse_datatype does not let through.
        _ => Value::Double(x),
    }
}

/// The name of the template that Template metrics of generic nodes are instances of.
pub(crate) const SAMPLE_TEMPLATE: &str = "Sample";

/// The definition of [`SAMPLE_TEMPLATE`]: one member `value` (Double, default 0).
pub(crate) fn sample_definition() -> Template {
    Template::definition(vec![Metric::new("value", 0.0)]).with_version("1")
}

/// A value written by a command, as the number a generator continues from.
pub(crate) fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Boolean(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) | Value::Text(s) => s.trim().parse().ok(),
        other => other.as_f64(),
    }
}

fn uuid_from(bits: u64) -> String {
    let mut r = crate::rng::Rng::new(bits);
    let (a, b) = (r.next_u64(), r.next_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkplug_b::Payload;

    #[test]
    fn every_metric_datatype_is_produced_and_encodes() {
        let mut n = 0;
        for d in DataType::ALL.iter().copied().filter(|d| d.is_metric_type()) {
            let parsed = parse_datatype(d.name()).unwrap();
            assert_eq!(parsed, d);
            let v = to_value(d, 3.4, 1_000, 3);
            assert_eq!(v.data_type(), d, "{}", d.name());
            let p = Payload::new(1).with_metric(Metric::new("m", v.clone()));
            let back = Payload::decode(&p.encode_to_vec().unwrap()).unwrap();
            assert_eq!(back.metrics[0].value.as_ref(), Some(&v), "{}", d.name());
            n += 1;
        }
        assert!(n >= 30, "only {n} datatypes");
        assert!(parse_datatype("PropertySet").is_err());
        assert!(parse_datatype("double").is_ok());
    }

    #[test]
    fn numbers_back_from_commands() {
        assert_eq!(to_number(&Value::Boolean(true)), Some(1.0));
        assert_eq!(to_number(&Value::Int8(-3)), Some(-3.0));
        assert_eq!(to_number(&Value::String(" 2.5".into())), Some(2.5));
        assert_eq!(to_number(&Value::Bytes(vec![])), None);
        assert_eq!(to_value(DataType::UInt8, 300.0, 0, 1), Value::UInt8(255));
    }
}
