//! The owned decoder: encoded bytes to the typed model, built on the borrowed views.

use std::cell::Cell;

use super::DecodeOptions;
use super::view::{MetricView, ValueRef, read_payload};
use crate::error::{DecodeError, ValueError};
use crate::wire::{Reader, WireType};
use crate::{
    DataSet, DataType, MetaData, Metric, Parameter, Payload, PropertySet, PropertyValue, Template,
    Value,
};

impl Payload {
    /// Decodes a payload with the default [`DecodeOptions`].
    ///
    /// Decoding is total: any byte string gives a payload or a [`DecodeError`]. It checks the
    /// wire format and that every value fits its declared datatype; whether the payload obeys
    /// the rules of its message type is a separate step, [`validate`](crate::validate()), so
    /// a lenient host can still read an imperfect payload.
    ///
    /// ```
    /// use sparkplug_b::{Payload, Value};
    ///
    /// // The NDEATH example of the spec: one metric, bdSeq = 0, and no seq field.
    /// let bytes = [0x12, 0x0b, 0x0a, 0x05, b'b', b'd', b'S', b'e', b'q', 0x20, 0x04, 0x58, 0x00];
    /// let payload = Payload::decode(&bytes)?;
    /// assert_eq!(payload.seq, None);
    /// assert_eq!(payload.metrics[0].value, Some(Value::Int64(0)));
    /// # Ok::<(), sparkplug_b::DecodeError>(())
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Payload, DecodeError> {
        Payload::decode_with(bytes, &DecodeOptions::default())
    }

    /// Decodes a payload with explicit limits and switches.
    pub fn decode_with(bytes: &[u8], options: &DecodeOptions) -> Result<Payload, DecodeError> {
        let payload = decode_payload(bytes, options)?;
        if options.decompress && crate::compression::is_compressed(&payload) {
            let inner = crate::compression::inflate(&payload, options.max_inflated_size)?;
            // One level only: a compressed payload inside a compressed payload is returned as
            // it is, so nesting cannot multiply the inflation limit.
            return decode_payload(&inner, options);
        }
        Ok(payload)
    }
}

fn decode_payload(bytes: &[u8], options: &DecodeOptions) -> Result<Payload, DecodeError> {
    // One pass over the top level (PayloadView makes two, to count metrics up front). The
    // capacity guess fits a typical aliased metric with a timestamp (about 17 bytes) and is
    // capped, so a hostile length claims no memory the metrics themselves do not use.
    let mut metrics = Vec::with_capacity((bytes.len() / 16).min(256));
    let decoder = MetricDecoder::new(options);
    let top = read_payload(bytes, |index, view| {
        metrics.push(decoder.decode(index, &view)?);
        Ok::<(), DecodeError>(())
    })?;
    Ok(Payload {
        timestamp: top.timestamp,
        metrics,
        seq: top.seq,
        uuid: top.uuid.map(str::to_owned),
        body: top.body.map(<[u8]>::to_vec),
    })
}

/// The top-level metrics of one payload, decoded one at a time from their views under the
/// limits of one decode: [`Payload::decode_with`] is this applied to every metric in turn, and
/// a caller that reads the payload through a [`PayloadView`](super::PayloadView) gets exactly
/// the same metrics and errors.
pub(crate) struct MetricDecoder {
    depth: u32,
    /// The element budget, shared by every metric of the payload.
    elements: Cell<usize>,
    limit: usize,
}

impl MetricDecoder {
    /// A decoder for the metrics of one payload.
    pub(crate) fn new(options: &DecodeOptions) -> Self {
        MetricDecoder {
            depth: options.max_depth,
            elements: Cell::new(options.max_elements),
            limit: options.max_elements,
        }
    }

    /// Counts one metric the caller builds itself against the element budget, as
    /// [`MetricDecoder::decode`] counts each metric it decodes.
    #[inline]
    pub(crate) fn count_one(&self) -> Result<(), DecodeError> {
        Cx {
            depth: self.depth,
            elements: &self.elements,
            limit: self.limit,
        }
        .take()
    }

    /// Top-level metric `index` of the payload.
    #[inline]
    pub(crate) fn decode(
        &self,
        index: usize,
        view: &MetricView<'_>,
    ) -> Result<Metric, DecodeError> {
        let cx = Cx {
            depth: self.depth,
            elements: &self.elements,
            limit: self.limit,
        };
        decode_metric(view, cx).map_err(|e| match e {
            Nested::Value(source) => DecodeError::Value {
                metric: index,
                source,
            },
            Nested::Decode(e) => e,
        })
    }
}

/// Errors inside a metric, before they get the index of their top-level metric.
enum Nested {
    Decode(DecodeError),
    Value(ValueError),
}

impl From<DecodeError> for Nested {
    fn from(e: DecodeError) -> Self {
        Nested::Decode(e)
    }
}

impl From<ValueError> for Nested {
    fn from(e: ValueError) -> Self {
        Nested::Value(e)
    }
}

fn decode_metric(view: &MetricView<'_>, cx: Cx<'_>) -> Result<Metric, Nested> {
    cx.take()?;
    let datatype = view.datatype();
    let value = match view.value {
        None => None,
        Some(v) => Some(typed_value(v, datatype, cx)?),
    };
    Ok(Metric {
        name: view.name.map(str::to_owned),
        alias: view.alias,
        timestamp: view.timestamp,
        datatype,
        is_historical: view.is_historical,
        is_transient: view.is_transient,
        is_null: view.is_null,
        metadata: match view.metadata {
            None => None,
            Some(bytes) => Some(Box::new(decode_metadata(bytes)?)),
        },
        properties: match view.properties {
            None => None,
            Some(bytes) => Some(decode_property_set(bytes, cx)?),
        },
        value,
    })
}

/// The typed value of a metric: its wire field read as `datatype`, or as the field's natural
/// type when there is no datatype.
fn typed_value(v: ValueRef<'_>, datatype: Option<DataType>, cx: Cx<'_>) -> Result<Value, Nested> {
    // Arrays are unpacked straight from the borrowed bytes, without an intermediate copy.
    if let (ValueRef::Bytes(bytes), Some(dt)) = (v, datatype) {
        if let Some(array) = crate::array::unpack(dt, bytes) {
            return Ok(array?);
        }
    }
    let natural = match v {
        ValueRef::Int(x) => Value::UInt32(x),
        ValueRef::Long(x) => Value::UInt64(x),
        ValueRef::Float(x) => Value::Float(x),
        ValueRef::Double(x) => Value::Double(x),
        ValueRef::Boolean(x) => Value::Boolean(x),
        ValueRef::String(s) => Value::String(s.to_owned()),
        ValueRef::Bytes(b) => Value::Bytes(b.to_vec()),
        ValueRef::DataSet(b) => Value::DataSet(Box::new(decode_dataset(b, cx)?)),
        ValueRef::Template(b) => Value::Template(Box::new(decode_template(b, cx.descend()?)?)),
    };
    Ok(match datatype {
        Some(dt) => natural.reinterpret(dt)?,
        None => natural,
    })
}

/// The limits of one decode: how deep nesting may still go, and how many more elements
/// (metrics, property keys and values, DataSet columns, rows and cells, template parameters)
/// may be decoded. Every element costs tens of bytes in memory but can be two bytes on the wire,
/// so the element budget is what bounds memory for a hostile payload.
#[derive(Clone, Copy)]
struct Cx<'b> {
    depth: u32,
    elements: &'b Cell<usize>,
    limit: usize,
}

impl Cx<'_> {
    fn descend(self) -> Result<Self, DecodeError> {
        let depth = self.depth.checked_sub(1).ok_or(DecodeError::TooDeep)?;
        Ok(Cx { depth, ..self })
    }

    #[inline]
    fn take(self) -> Result<(), DecodeError> {
        match self.elements.get().checked_sub(1) {
            Some(left) => {
                self.elements.set(left);
                Ok(())
            }
            None => Err(DecodeError::TooManyElements { limit: self.limit }),
        }
    }
}

fn decode_metadata(bytes: &[u8]) -> Result<MetaData, DecodeError> {
    let mut m = MetaData::default();
    let mut r = Reader::new(bytes);
    while let Some((field, wt)) = r.key()? {
        match field {
            1 | 3 | 4 => {
                r.expect(field, wt, WireType::Varint)?;
                let v = r.varint()?;
                match field {
                    1 => m.is_multi_part = Some(v != 0),
                    3 => m.size = Some(v),
                    _ => m.seq = Some(v),
                }
            }
            2 | 5..=8 => {
                r.expect(field, wt, WireType::Len)?;
                let s = Some(r.str()?.to_owned());
                match field {
                    2 => m.content_type = s,
                    5 => m.file_name = s,
                    6 => m.file_type = s,
                    7 => m.md5 = s,
                    _ => m.description = s,
                }
            }
            _ => r.skip(field, wt)?,
        }
    }
    Ok(m)
}

/// Reads a scalar of the oneofs shared by PropertyValue (fields 3..=8), Template.Parameter
/// (3..=8) and DataSetValue (1..=6): `first` is the number of their `int_value` field.
fn read_scalar(
    r: &mut Reader<'_>,
    field: u32,
    wt: WireType,
    first: u32,
) -> Result<Value, DecodeError> {
    Ok(match field - first {
        0 => {
            r.expect(field, wt, WireType::Varint)?;
            Value::UInt32(r.uint32()?)
        }
        1 => {
            r.expect(field, wt, WireType::Varint)?;
            Value::UInt64(r.varint()?)
        }
        2 => {
            r.expect(field, wt, WireType::Fixed32)?;
            Value::Float(f32::from_bits(r.fixed32()?))
        }
        3 => {
            r.expect(field, wt, WireType::Fixed64)?;
            Value::Double(f64::from_bits(r.fixed64()?))
        }
        4 => {
            r.expect(field, wt, WireType::Varint)?;
            Value::Boolean(r.bool()?)
        }
        _ => {
            r.expect(field, wt, WireType::Len)?;
            Value::String(r.str()?.to_owned())
        }
    })
}

fn decode_property_set(bytes: &[u8], cx: Cx<'_>) -> Result<PropertySet, Nested> {
    let cx = cx.descend()?;
    let mut set = PropertySet::default();
    let mut r = Reader::new(bytes);
    while let Some((field, wt)) = r.key()? {
        match field {
            1 => {
                r.expect(field, wt, WireType::Len)?;
                set.keys.push(r.str()?.to_owned());
            }
            2 => {
                r.expect(field, wt, WireType::Len)?;
                cx.take()?;
                set.values.push(decode_property_value(r.bytes()?, cx)?);
            }
            _ => r.skip(field, wt)?,
        }
    }
    Ok(set)
}

fn decode_property_value(bytes: &[u8], cx: Cx<'_>) -> Result<PropertyValue, Nested> {
    let mut pv = PropertyValue::default();
    let mut r = Reader::new(bytes);
    while let Some((field, wt)) = r.key()? {
        match field {
            1 => {
                r.expect(field, wt, WireType::Varint)?;
                pv.datatype = Some(DataType::from_code(r.uint32()?));
            }
            2 => {
                r.expect(field, wt, WireType::Varint)?;
                pv.is_null = r.bool()?;
            }
            3..=8 => pv.value = Some(read_scalar(&mut r, field, wt, 3)?),
            9 => {
                r.expect(field, wt, WireType::Len)?;
                pv.value = Some(Value::PropertySet(Box::new(decode_property_set(
                    r.bytes()?,
                    cx,
                )?)));
            }
            10 => {
                r.expect(field, wt, WireType::Len)?;
                pv.value = Some(Value::PropertySetList(decode_property_set_list(
                    r.bytes()?,
                    cx,
                )?));
            }
            11 => {
                // An extension value replaces any earlier value of the oneof, and is not kept.
                r.expect(field, wt, WireType::Len)?;
                r.bytes()?;
                pv.value = None;
            }
            _ => r.skip(field, wt)?,
        }
    }
    // Only a typed value is reinterpreted; an untyped one keeps its natural type. (The value is
    // taken only once a datatype is known: taking it in the same pattern dropped it otherwise.)
    if let Some(dt) = pv.datatype {
        pv.value = pv.value.take().map(|v| v.reinterpret(dt)).transpose()?;
    }
    Ok(pv)
}

fn decode_property_set_list(bytes: &[u8], cx: Cx<'_>) -> Result<Vec<PropertySet>, Nested> {
    let mut list = Vec::new();
    let mut r = Reader::new(bytes);
    while let Some((field, wt)) = r.key()? {
        if field == 1 {
            r.expect(field, wt, WireType::Len)?;
            cx.take()?;
            list.push(decode_property_set(r.bytes()?, cx)?);
        } else {
            r.skip(field, wt)?;
        }
    }
    Ok(list)
}

fn decode_dataset(bytes: &[u8], cx: Cx<'_>) -> Result<DataSet, Nested> {
    let mut ds = DataSet::default();
    let mut rows: Vec<&[u8]> = Vec::new();
    let mut r = Reader::new(bytes);
    while let Some((field, wt)) = r.key()? {
        match (field, wt) {
            (1, _) => {
                r.expect(field, wt, WireType::Varint)?;
                ds.num_of_columns = r.varint()?;
            }
            (2, _) => {
                r.expect(field, wt, WireType::Len)?;
                cx.take()?;
                ds.columns.push(r.str()?.to_owned());
            }
            // `types` is unpacked when written by protoc/Java, packed by some others: accept both.
            (3, WireType::Varint) => {
                cx.take()?;
                ds.types.push(DataType::from_code(r.uint32()?));
            }
            (3, WireType::Len) => {
                let mut packed = Reader::new(r.bytes()?);
                while !packed.is_empty() {
                    cx.take()?;
                    ds.types.push(DataType::from_code(packed.uint32()?));
                }
            }
            (3, _) => {
                return Err(DecodeError::WrongWireType {
                    field,
                    wire_type: wt as u8,
                }
                .into());
            }
            (4, _) => {
                r.expect(field, wt, WireType::Len)?;
                cx.take()?;
                rows.push(r.bytes()?);
            }
            _ => r.skip(field, wt)?,
        }
    }
    // Rows are typed once all column types are known, wherever `types` stood in the message.
    ds.rows.reserve(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        let cells = decode_row(row, &ds.types, cx)?;
        // A row of another width than the types is not a table: refused here, so that every
        // payload that decodes can be encoded again (the encoder refuses it too).
        if cells.len() != ds.types.len() {
            return Err(DecodeError::DataSetRowWidth {
                row: index,
                expected: ds.types.len(),
                found: cells.len(),
            }
            .into());
        }
        ds.rows.push(cells);
    }
    Ok(ds)
}

fn decode_row(bytes: &[u8], types: &[DataType], cx: Cx<'_>) -> Result<Vec<Option<Value>>, Nested> {
    let mut cells = Vec::new();
    let mut r = Reader::new(bytes);
    while let Some((field, wt)) = r.key()? {
        if field == 1 {
            r.expect(field, wt, WireType::Len)?;
            cx.take()?;
            let cell = decode_cell(r.bytes()?)?;
            let cell = match (cell, types.get(cells.len())) {
                (Some(v), Some(&dt)) => Some(v.reinterpret(dt)?),
                (cell, _) => cell,
            };
            cells.push(cell);
        } else {
            r.skip(field, wt)?;
        }
    }
    Ok(cells)
}

/// One DataSetValue; `None` for an empty one (a null cell) or an extension value.
fn decode_cell(bytes: &[u8]) -> Result<Option<Value>, DecodeError> {
    let mut cell = None;
    let mut r = Reader::new(bytes);
    while let Some((field, wt)) = r.key()? {
        match field {
            1..=6 => cell = Some(read_scalar(&mut r, field, wt, 1)?),
            7 => {
                r.expect(field, wt, WireType::Len)?;
                r.bytes()?;
                cell = None;
            }
            _ => r.skip(field, wt)?,
        }
    }
    Ok(cell)
}

fn decode_template(bytes: &[u8], cx: Cx<'_>) -> Result<Template, Nested> {
    let mut t = Template::default();
    let mut r = Reader::new(bytes);
    while let Some((field, wt)) = r.key()? {
        match field {
            1 => {
                r.expect(field, wt, WireType::Len)?;
                t.version = Some(r.str()?.to_owned());
            }
            2 => {
                r.expect(field, wt, WireType::Len)?;
                let view = MetricView::new(r.bytes()?)?;
                t.metrics.push(decode_metric(&view, cx)?);
            }
            3 => {
                r.expect(field, wt, WireType::Len)?;
                cx.take()?;
                t.parameters.push(decode_parameter(r.bytes()?)?);
            }
            4 => {
                r.expect(field, wt, WireType::Len)?;
                t.template_ref = Some(r.str()?.to_owned());
            }
            5 => {
                r.expect(field, wt, WireType::Varint)?;
                t.is_definition = Some(r.bool()?);
            }
            _ => r.skip(field, wt)?,
        }
    }
    Ok(t)
}

fn decode_parameter(bytes: &[u8]) -> Result<Parameter, Nested> {
    let mut p = Parameter::default();
    let mut r = Reader::new(bytes);
    while let Some((field, wt)) = r.key()? {
        match field {
            1 => {
                r.expect(field, wt, WireType::Len)?;
                p.name = Some(r.str()?.to_owned());
            }
            2 => {
                r.expect(field, wt, WireType::Varint)?;
                p.datatype = Some(DataType::from_code(r.uint32()?));
            }
            3..=8 => p.value = Some(read_scalar(&mut r, field, wt, 3)?),
            9 => {
                r.expect(field, wt, WireType::Len)?;
                r.bytes()?;
                p.value = None;
            }
            _ => r.skip(field, wt)?,
        }
    }
    // As for property values: an untyped parameter keeps its natural value.
    if let Some(dt) = p.datatype {
        p.value = p.value.take().map(|v| v.reinterpret(dt)).transpose()?;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::WireField;

    #[test]
    fn value_errors_name_their_top_level_metric() {
        // Metric 1 declares Int8 but carries a string.
        let bad = Metric {
            datatype: Some(DataType::Int8),
            ..Metric::new("s", "text")
        };
        let p = Payload::default()
            .with_metric(Metric::new("ok", 1.0))
            .with_metric(bad);
        let bytes = p.encode_to_vec().unwrap();
        assert_eq!(
            Payload::decode(&bytes),
            Err(DecodeError::Value {
                metric: 1,
                source: ValueError::WrongField {
                    datatype: DataType::Int8,
                    field: WireField::StringValue
                },
            })
        );
    }

    #[test]
    fn depth_is_configurable() {
        let nested = Template::instance(
            "T",
            vec![Metric::new("inner", Template::instance("T", vec![]))],
        );
        let bytes = Payload::default()
            .with_metric(Metric::new("outer", nested))
            .encode_to_vec()
            .unwrap();
        assert!(Payload::decode_with(&bytes, &DecodeOptions::default().with_max_depth(2)).is_ok());
        assert_eq!(
            Payload::decode_with(&bytes, &DecodeOptions::default().with_max_depth(1)),
            Err(DecodeError::TooDeep)
        );
    }

    #[test]
    fn null_dataset_cells_and_rows_wider_than_the_types() {
        use crate::proto::payload::{data_set, metric};
        use prost::Message;
        let ds = DataSet::new([("a", DataType::Int16)])
            .with_row(vec![None])
            .with_row(vec![Some(Value::Int16(-2))])
            .with_row(vec![Some(Value::Int16(1))]);
        let bytes = Payload::default()
            .with_metric(Metric::new("ds", ds))
            .encode_to_vec()
            .unwrap();
        let p = Payload::decode(&bytes).unwrap();
        let Some(Value::DataSet(back)) = &p.metrics[0].value else {
            panic!("a DataSet")
        };
        assert_eq!(back.rows[0], [None]);
        assert_eq!(back.rows[1], [Some(Value::Int16(-2))]);
        // A row wider than the declared columns: our encoder refuses to write one, so add the
        // extra cell with prost. It is no table, and does not decode either.
        let mut raw = crate::proto::Payload::decode(&bytes[..]).unwrap();
        let Some(metric::Value::DatasetValue(d)) = &mut raw.metrics[0].value else {
            panic!("a DataSet")
        };
        d.rows[2].elements.push(data_set::DataSetValue {
            value: Some(data_set::data_set_value::Value::BooleanValue(true)),
        });
        let bytes = raw.encode_to_vec();
        assert_eq!(
            Payload::decode(&bytes),
            Err(DecodeError::DataSetRowWidth {
                row: 2,
                expected: 1,
                found: 2
            })
        );
    }
}
