//! The encoder: the typed model to Sparkplug B protobuf bytes, following the wire rules of
//! SPARKPLUG.md section 3 exactly.
//!
//! Presence is explicit: an optional field is written when it is `Some`, so `seq = Some(0)`
//! puts `18 00` on the wire (`tck-id-payloads-sequence-num-always-included`) and `seq = None`
//! writes nothing (`tck-id-payloads-ndeath-seq`). Flags are written only when true. DataSet
//! `types` is written unpacked, as protoc and Tahu Java do.

use crate::error::EncodeError;
use crate::wire::Writer;
use crate::{
    DataSet, MetaData, Metric, Parameter, Payload, PropertySet, PropertyValue, Template, Value,
};

/// Switches of the encoder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// Write UInt32 values in `long_value` instead of the spec's `int_value`, for Tahu-era
    /// hosts and the released 3.0.0 TCK (SPARKPLUG.md 3.2). Applies to metrics, property
    /// values, template parameters and DataSet cells. Default false.
    pub uint32_in_long_value: bool,
}

impl EncodeOptions {
    /// Sets where UInt32 values go (builder style).
    pub fn with_uint32_in_long_value(mut self, on: bool) -> Self {
        self.uint32_in_long_value = on;
        self
    }
}

impl Payload {
    /// Encodes the payload with the default [`EncodeOptions`].
    ///
    /// Fails only for values that have no wire form where they stand (see [`EncodeError`]).
    pub fn encode_to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        let mut buf = Vec::with_capacity(64 + 32 * self.metrics.len());
        self.encode_with(&mut buf, &EncodeOptions::default())?;
        Ok(buf)
    }

    /// Appends the encoded payload to `buf`. On error, `buf` may hold part of the payload.
    pub fn encode_with(
        &self,
        buf: &mut Vec<u8>,
        options: &EncodeOptions,
    ) -> Result<(), EncodeError> {
        let mut w = Writer::new(buf);
        if let Some(ts) = self.timestamp {
            w.uint64(1, ts);
        }
        for metric in &self.metrics {
            w.message(2, |w| encode_metric(w, metric, options))?;
        }
        if let Some(seq) = self.seq {
            w.uint64(3, seq);
        }
        if let Some(uuid) = &self.uuid {
            w.bytes(4, uuid.as_bytes());
        }
        if let Some(body) = &self.body {
            w.bytes(5, body);
        }
        Ok(())
    }
}

fn encode_metric(
    w: &mut Writer<'_>,
    m: &Metric,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    if let Some(name) = &m.name {
        w.bytes(1, name.as_bytes());
    }
    if let Some(alias) = m.alias {
        w.uint64(2, alias);
    }
    if let Some(ts) = m.timestamp {
        w.uint64(3, ts);
    }
    if let Some(dt) = m.datatype {
        w.uint64(4, dt.code().into());
    }
    if m.is_historical {
        w.bool(5, true);
    }
    if m.is_transient {
        w.bool(6, true);
    }
    if m.is_null {
        w.bool(7, true);
    }
    if let Some(md) = &m.metadata {
        w.message(8, |w| {
            encode_metadata(w, md);
            Ok::<(), EncodeError>(())
        })?;
    }
    if let Some(props) = &m.properties {
        w.message(9, |w| encode_property_set(w, props, options))?;
    }
    if let Some(value) = &m.value {
        encode_metric_value(w, value, options)?;
    }
    Ok(())
}

fn encode_metric_value(
    w: &mut Writer<'_>,
    value: &Value,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    if let Some(s) = Scalar::of(value, options) {
        s.write(w, 10);
        return Ok(());
    }
    match value {
        Value::Bytes(b) | Value::File(b) => w.bytes(16, b),
        Value::DataSet(ds) => w.message(17, |w| encode_dataset(w, ds, options))?,
        Value::Template(t) => w.message(18, |w| encode_template(w, t, options))?,
        Value::PropertySet(_) | Value::PropertySetList(_) => {
            return Err(EncodeError::Unrepresentable {
                datatype: value.data_type(),
                place: "metric",
            });
        }
        array => {
            let mut packed = Vec::new();
            match crate::array::pack(array, &mut packed) {
                Some(result) => result?,
                None => {
                    return Err(EncodeError::Unrepresentable {
                        datatype: array.data_type(),
                        place: "metric",
                    });
                }
            }
            w.bytes(16, &packed);
        }
    }
    Ok(())
}

/// A value of the scalar part shared by all the value oneofs, in their common field order:
/// int, long, float, double, bool, string.
pub(crate) enum Scalar<'v> {
    Int(u32),
    Long(u64),
    Float(f32),
    Double(f64),
    Bool(bool),
    Str(&'v str),
}

impl<'v> Scalar<'v> {
    pub(crate) fn of(value: &'v Value, options: &EncodeOptions) -> Option<Self> {
        Some(match *value {
            // Signed types are sign-extended to 32 bits, then reinterpreted (SPARKPLUG.md 3.2).
            Value::Int8(v) => Scalar::Int(i32::from(v) as u32),
            Value::Int16(v) => Scalar::Int(i32::from(v) as u32),
            Value::Int32(v) => Scalar::Int(v as u32),
            Value::UInt8(v) => Scalar::Int(v.into()),
            Value::UInt16(v) => Scalar::Int(v.into()),
            Value::UInt32(v) if options.uint32_in_long_value => Scalar::Long(v.into()),
            Value::UInt32(v) => Scalar::Int(v),
            Value::Int64(v) => Scalar::Long(v as u64),
            Value::UInt64(v) | Value::DateTime(v) => Scalar::Long(v),
            Value::Float(v) => Scalar::Float(v),
            Value::Double(v) => Scalar::Double(v),
            Value::Boolean(v) => Scalar::Bool(v),
            Value::String(ref s) | Value::Text(ref s) | Value::Uuid(ref s) => Scalar::Str(s),
            _ => return None,
        })
    }

    /// Writes the scalar into the oneof whose `int_value` field number is `first`.
    fn write(&self, w: &mut Writer<'_>, first: u32) {
        match *self {
            Scalar::Int(v) => w.uint64(first, v.into()),
            Scalar::Long(v) => w.uint64(first + 1, v),
            Scalar::Float(v) => w.float(first + 2, v),
            Scalar::Double(v) => w.double(first + 3, v),
            Scalar::Bool(v) => w.bool(first + 4, v),
            Scalar::Str(v) => w.bytes(first + 5, v.as_bytes()),
        }
    }
}

fn scalar<'v>(
    value: &'v Value,
    options: &EncodeOptions,
    place: &'static str,
) -> Result<Scalar<'v>, EncodeError> {
    Scalar::of(value, options).ok_or(EncodeError::Unrepresentable {
        datatype: value.data_type(),
        place,
    })
}

fn encode_metadata(w: &mut Writer<'_>, md: &MetaData) {
    if let Some(v) = md.is_multi_part {
        w.bool(1, v);
    }
    if let Some(v) = &md.content_type {
        w.bytes(2, v.as_bytes());
    }
    if let Some(v) = md.size {
        w.uint64(3, v);
    }
    if let Some(v) = md.seq {
        w.uint64(4, v);
    }
    for (field, text) in [
        (5, &md.file_name),
        (6, &md.file_type),
        (7, &md.md5),
        (8, &md.description),
    ] {
        if let Some(v) = text {
            w.bytes(field, v.as_bytes());
        }
    }
}

fn encode_property_set(
    w: &mut Writer<'_>,
    set: &PropertySet,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    for key in &set.keys {
        w.bytes(1, key.as_bytes());
    }
    for value in &set.values {
        w.message(2, |w| encode_property_value(w, value, options))?;
    }
    Ok(())
}

fn encode_property_value(
    w: &mut Writer<'_>,
    pv: &PropertyValue,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    if let Some(dt) = pv.datatype {
        w.uint64(1, dt.code().into());
    }
    if pv.is_null {
        w.bool(2, true);
    }
    match &pv.value {
        None => {}
        Some(Value::PropertySet(set)) => w.message(9, |w| encode_property_set(w, set, options))?,
        Some(Value::PropertySetList(list)) => w.message(10, |w| {
            for set in list {
                w.message(1, |w| encode_property_set(w, set, options))?;
            }
            Ok(())
        })?,
        Some(v) => scalar(v, options, "property value")?.write(w, 3),
    }
    Ok(())
}

fn encode_dataset(
    w: &mut Writer<'_>,
    ds: &DataSet,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    w.uint64(1, ds.num_of_columns);
    for column in &ds.columns {
        w.bytes(2, column.as_bytes());
    }
    for dt in &ds.types {
        w.uint64(3, dt.code().into());
    }
    for (r, row) in ds.rows.iter().enumerate() {
        // Every cell in its column's type and a cell for every column, checked before anything
        // of the row is written (SPARKPLUG.md 3.4).
        if row.len() != ds.types.len() {
            return Err(EncodeError::DataSetRowWidth {
                row: r,
                expected: ds.types.len(),
                found: row.len(),
            });
        }
        for (c, (cell, expected)) in row.iter().zip(&ds.types).enumerate() {
            // A column of no basic type (an unknown code, decoded) has no field to hold to.
            let found = cell.as_ref().map(Value::data_type);
            if let Some(found) = found.filter(|f| f != expected && expected.is_basic()) {
                return Err(EncodeError::DataSetCellType {
                    row: r,
                    column: c,
                    expected: *expected,
                    found,
                });
            }
        }
        w.message(4, |w| {
            for cell in row {
                w.message(1, |w| {
                    if let Some(v) = cell {
                        scalar(v, options, "DataSet cell")?.write(w, 1);
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn encode_template(
    w: &mut Writer<'_>,
    t: &Template,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    if let Some(v) = &t.version {
        w.bytes(1, v.as_bytes());
    }
    for metric in &t.metrics {
        w.message(2, |w| encode_metric(w, metric, options))?;
    }
    for p in &t.parameters {
        w.message(3, |w| encode_parameter(w, p, options))?;
    }
    if let Some(r) = &t.template_ref {
        w.bytes(4, r.as_bytes());
    }
    if let Some(d) = t.is_definition {
        w.bool(5, d);
    }
    Ok(())
}

fn encode_parameter(
    w: &mut Writer<'_>,
    p: &Parameter,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    if let Some(name) = &p.name {
        w.bytes(1, name.as_bytes());
    }
    if let Some(dt) = p.datatype {
        w.uint64(2, dt.code().into());
    }
    if let Some(v) = &p.value {
        scalar(v, options, "template parameter")?.write(w, 3);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DataType, Payload};

    fn encode(p: &Payload) -> Result<Vec<u8>, EncodeError> {
        p.encode_to_vec()
    }

    /// tck-id-payloads-sequence-num-always-included and tck-id-payloads-ndeath-seq: `seq` is
    /// written exactly when present, including 0.
    #[test]
    fn seq_presence_is_explicit() {
        assert_eq!(
            encode(&Payload::default().with_seq(0)).unwrap(),
            [0x18, 0x00]
        );
        assert!(encode(&Payload::default()).unwrap().is_empty());
    }

    #[test]
    fn flags_are_written_only_when_set() {
        let plain = Metric::new("a", true);
        let flagged = Metric::new("a", true).historical().transient();
        let plain_len = encode(&Payload::default().with_metric(plain))
            .unwrap()
            .len();
        let flagged_bytes = encode(&Payload::default().with_metric(flagged)).unwrap();
        assert_eq!(flagged_bytes.len(), plain_len + 4);
        assert!(flagged_bytes.windows(2).any(|w| w == [0x28, 0x01]));
        assert!(flagged_bytes.windows(2).any(|w| w == [0x30, 0x01]));
    }

    #[test]
    fn values_without_a_field_where_they_stand_are_errors() {
        let set = Value::PropertySet(Box::default());
        let as_metric = Payload::default().with_metric(Metric::new("s", set));
        assert_eq!(
            encode(&as_metric),
            Err(EncodeError::Unrepresentable {
                datatype: DataType::PropertySet,
                place: "metric"
            })
        );
        let props = PropertySet::new().with("arr", PropertyValue::new(vec![1i32, 2]));
        let in_property =
            Payload::default().with_metric(Metric::new("m", 1.0).with_properties(props));
        assert_eq!(
            encode(&in_property),
            Err(EncodeError::Unrepresentable {
                datatype: DataType::Int32Array,
                place: "property value"
            })
        );
        let ds = DataSet::new([("b", DataType::Bytes)]).with_row(vec![Some(Value::Bytes(vec![1]))]);
        assert_eq!(
            encode(&Payload::default().with_metric(Metric::new("ds", ds))),
            Err(EncodeError::Unrepresentable {
                datatype: DataType::Bytes,
                place: "DataSet cell"
            })
        );
    }

    /// tck-id-payloads-template-dataset-value, SPARKPLUG.md 3.4: a cell travels in its column's
    /// field, so a cell of another type than its column (an Int64 in an Int32 column, which
    /// used to land in `long_value` where a reader of the column looks in `int_value`) and a
    /// row of the wrong width are refused before anything is written.
    #[test]
    fn dataset_cells_match_their_columns() {
        let ds = DataSet::new([("a", DataType::Int32), ("b", DataType::String)]).with_row(vec![
            Some(Value::Int64(-1)),
            Some(Value::String("x".into())),
        ]);
        assert_eq!(
            encode(&Payload::default().with_metric(Metric::new("ds", ds))),
            Err(EncodeError::DataSetCellType {
                row: 0,
                column: 0,
                expected: DataType::Int32,
                found: DataType::Int64
            })
        );
        let narrow =
            DataSet::new([("a", DataType::Int32), ("b", DataType::String)]).with_row(vec![None]);
        assert_eq!(
            encode(&Payload::default().with_metric(Metric::new("ds", narrow))),
            Err(EncodeError::DataSetRowWidth {
                row: 0,
                expected: 2,
                found: 1
            })
        );
        // Null cells (no value) are fine in any column.
        let ok = DataSet::new([("a", DataType::Int32), ("b", DataType::String)])
            .with_row(vec![Some(Value::Int32(-1)), None]);
        assert!(encode(&Payload::default().with_metric(Metric::new("ds", ok))).is_ok());
    }

    /// SPARKPLUG.md 3.2: the UInt32 switch applies wherever a UInt32 travels.
    #[test]
    fn uint32_switch_reaches_nested_values() {
        let long = EncodeOptions::default().with_uint32_in_long_value(true);
        let param = Template::definition(vec![]).with_parameter(Parameter::new("p", 7u32));
        let p = Payload::default().with_metric(Metric::new("t", param));
        let mut spec = Vec::new();
        let mut tahu = Vec::new();
        p.encode_with(&mut spec, &EncodeOptions::default()).unwrap();
        p.encode_with(&mut tahu, &long).unwrap();
        // Parameter field 3 (int_value) versus field 4 (long_value).
        assert!(spec.windows(2).any(|w| w == [0x18, 0x07]));
        assert!(tahu.windows(2).any(|w| w == [0x20, 0x07]));
        assert_eq!(
            Payload::decode(&spec).unwrap(),
            Payload::decode(&tahu).unwrap()
        );
    }
}
