//! A compact binary encoding of [`Batch`] for the spill file.
//!
//! ```text
//! batch   = submitted_at_ms:i64 count:u32 record*
//! record  = 1 sample | 2 birth | 3 event
//! sample  = source metric:str datatype:u32 ts:i64 value? historical:u8 quality:i32
//!           seq:u8? bd_seq:u64? received_at:i64
//! birth   = source bd_seq:u64? ts:i64 received_at:i64 count:u32
//!           (name:str alias:u64? datatype:u32 properties:bytes?)*
//! record 4 = birth templates:bytes  (a birth with template definitions: the definitions as
//!                                     the metrics of a Sparkplug payload; a birth without any
//!                                     stays record 2, as before)
//! event   = source? kind bd_seq:u64? ts:i64
//! value   = datatype:u32 bytes      (scalars in their natural width, strings and bytes as
//!                                     they are, complex values as a one-metric Sparkplug
//!                                     payload, so every value the codec knows round-trips)
//! source  = group:str node:str device:str?
//! str     = len:u32 utf8 ;  x?  = 0 | 1 x   (little endian throughout)
//! ```
//!
//! Decoding is total: any byte string gives a batch or a [`CodecError`], never a panic, and
//! no allocation is sized by a count before the bytes it describes are known to be there.

use std::sync::Arc;

use sparkplug_b::{DataType, Metric, Payload, PropertySet, Quality, TemplateCatalog, Value};

use crate::record::{Batch, Birth, CatalogueEntry, Event, EventKind, Record, Sample, Source};

/// Why a spilled batch could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum CodecError {
    /// The bytes ended inside a field.
    #[error("truncated at byte {0}")]
    Truncated(usize),
    /// A tag or code that the encoder never writes.
    #[error("invalid {what} {value} at byte {at}")]
    Invalid {
        /// Which field.
        what: &'static str,
        /// Its value.
        value: u64,
        /// Where.
        at: usize,
    },
    /// A string is not UTF-8.
    #[error("a string at byte {0} is not UTF-8")]
    Utf8(usize),
    /// An embedded Sparkplug payload did not decode.
    #[error("an embedded value at byte {0} did not decode")]
    Value(usize),
}

/// Encodes a batch, submitted at `submitted_at_ms`, appending to `out`.
pub(crate) fn encode_batch(batch: &Batch, submitted_at_ms: i64, out: &mut Vec<u8>) {
    encode_records(
        &batch.records.iter().collect::<Vec<_>>(),
        submitted_at_ms,
        out,
    );
}

/// Encodes records as one batch (the Parquet write-ahead logs keep a batch's records of one
/// partition without copying them).
pub(crate) fn encode_records(records: &[&Record], submitted_at_ms: i64, out: &mut Vec<u8>) {
    let mut w = W(out);
    w.i64(submitted_at_ms);
    w.u32(records.len() as u32);
    for &record in records {
        match record {
            Record::Sample(s) => {
                w.u8(1);
                w.source(&s.source);
                w.str(&s.metric);
                w.u32(s.datatype.code());
                w.i64(s.timestamp_ms);
                match &s.value {
                    None => w.u8(0),
                    Some(v) => {
                        w.u8(1);
                        w.value(v);
                    }
                }
                // Bit 0 is_historical, bit 1 outside_window: spills written before the flag
                // existed read as inside the window.
                w.u8(u8::from(s.is_historical) | (u8::from(s.outside_window) << 1));
                w.i32(s.quality.code());
                w.opt(s.seq, |w, v| w.u8(v));
                w.opt(s.bd_seq, |w, v| w.u64(v));
                w.i64(s.received_at_ms);
            }
            Record::Birth(b) => {
                w.u8(if b.templates.is_empty() { 2 } else { 4 });
                w.source(&b.source);
                w.opt(b.bd_seq, |w, v| w.u64(v));
                w.i64(b.timestamp_ms);
                w.i64(b.received_at_ms);
                w.u32(b.metrics.len() as u32);
                for m in &b.metrics {
                    w.str(&m.metric);
                    w.opt(m.alias, |w, v| w.u64(v));
                    w.u32(m.datatype.code());
                    w.opt(m.properties.as_ref(), |w, p| w.bytes(&properties_bytes(p)));
                }
                if !b.templates.is_empty() {
                    w.bytes(&templates_bytes(&b.templates));
                }
            }
            Record::Event(e) => {
                w.u8(3);
                w.opt(e.source.as_deref(), |w, s| w.source(s));
                match &e.kind {
                    EventKind::Online => w.u8(1),
                    EventKind::Offline { cause } => {
                        w.u8(2);
                        w.str(cause);
                    }
                    EventKind::SeqGap { expected, received } => {
                        w.u8(3);
                        w.u8(*expected);
                        w.u8(*received);
                    }
                    EventKind::RebirthRequested { reason } => {
                        w.u8(4);
                        w.str(reason);
                    }
                    EventKind::Violation { tck_id, detail } => {
                        w.u8(5);
                        w.str(tck_id);
                        w.str(detail);
                    }
                }
                w.opt(e.bd_seq, |w, v| w.u64(v));
                w.i64(e.timestamp_ms);
            }
        }
    }
}

/// Decodes a batch; returns it with its submission time.
pub(crate) fn decode_batch(bytes: &[u8]) -> Result<(Batch, i64), CodecError> {
    let mut r = R {
        b: bytes,
        at: 0,
        last_source: None,
    };
    let submitted = r.i64()?;
    let count = r.u32()? as usize;
    // Every record takes at least 2 bytes: the capacity is bounded by the input.
    let mut records = Vec::with_capacity(count.min(bytes.len() / 2));
    for _ in 0..count {
        let at = r.at;
        records.push(match r.u8()? {
            1 => Record::Sample(r.sample()?),
            2 => Record::Birth(r.birth()?),
            4 => {
                let mut birth = r.birth()?;
                let at = r.at;
                let payload = Payload::decode(r.bytes()?).map_err(|_| CodecError::Value(at))?;
                birth.templates = Arc::new(TemplateCatalog::from_birth(&payload));
                Record::Birth(birth)
            }
            3 => Record::Event(r.event()?),
            tag => return Err(invalid("record tag", tag.into(), at)),
        });
    }
    if r.at != bytes.len() {
        return Err(invalid(
            "trailing length",
            (bytes.len() - r.at) as u64,
            r.at,
        ));
    }
    Ok((Batch { records }, submitted))
}

fn invalid(what: &'static str, value: u64, at: usize) -> CodecError {
    CodecError::Invalid { what, value, at }
}

fn properties_bytes(p: &PropertySet) -> Vec<u8> {
    let metric = Metric {
        properties: Some(p.clone()),
        ..Metric::default()
    };
    payload_bytes(metric)
}

fn templates_bytes(templates: &TemplateCatalog) -> Vec<u8> {
    Payload {
        metrics: templates.birth_metrics(0).collect(),
        ..Payload::default()
    }
    .encode_to_vec()
    .unwrap_or_default()
}

fn payload_bytes(metric: Metric) -> Vec<u8> {
    // Encoding the typed model fails only on values the model cannot hold on the wire, which
    // the host's decoder never produces; an empty payload then decodes as an error, counted.
    Payload {
        metrics: vec![metric],
        ..Payload::default()
    }
    .encode_to_vec()
    .unwrap_or_default()
}

struct W<'a>(&'a mut Vec<u8>);

impl W<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
    }
    fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
            }
        }
    }
    fn source(&mut self, s: &Source) {
        self.str(&s.group);
        self.str(&s.node);
        self.opt(s.device.as_deref(), |w, d| w.str(d));
    }
    fn value(&mut self, v: &Value) {
        self.u32(v.data_type().code());
        match v {
            Value::Int8(x) => self.u64(*x as i64 as u64),
            Value::Int16(x) => self.u64(*x as i64 as u64),
            Value::Int32(x) => self.u64(*x as i64 as u64),
            Value::Int64(x) => self.u64(*x as u64),
            Value::UInt8(x) => self.u64((*x).into()),
            Value::UInt16(x) => self.u64((*x).into()),
            Value::UInt32(x) => self.u64((*x).into()),
            Value::UInt64(x) | Value::DateTime(x) => self.u64(*x),
            Value::Float(x) => self.u64(x.to_bits().into()),
            Value::Double(x) => self.u64(x.to_bits()),
            Value::Boolean(x) => self.u64((*x).into()),
            Value::String(s) | Value::Text(s) | Value::Uuid(s) => self.str(s),
            Value::Bytes(b) | Value::File(b) => self.bytes(b),
            other => {
                let metric = Metric {
                    datatype: Some(other.data_type()),
                    value: Some(other.clone()),
                    ..Metric::default()
                };
                self.bytes(&payload_bytes(metric));
            }
        }
    }
}

struct R<'a> {
    b: &'a [u8],
    at: usize,
    last_source: Option<Arc<Source>>,
}

impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or(CodecError::Truncated(self.at))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i32(&mut self) -> Result<i32, CodecError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, CodecError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn string(&mut self) -> Result<String, CodecError> {
        let at = self.at;
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| CodecError::Utf8(at))
    }
    fn flag(&mut self) -> Result<bool, CodecError> {
        let at = self.at;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(invalid("flag", v.into(), at)),
        }
    }
    fn source(&mut self) -> Result<Arc<Source>, CodecError> {
        let group = self.string()?;
        let node = self.string()?;
        let device = if self.flag()? {
            Some(self.string()?)
        } else {
            None
        };
        let source = Source {
            group,
            node,
            device,
        };
        // Consecutive records usually share their source: share the Arc too.
        if let Some(last) = &self.last_source {
            if **last == source {
                return Ok(Arc::clone(last));
            }
        }
        let source = Arc::new(source);
        self.last_source = Some(Arc::clone(&source));
        Ok(source)
    }
    fn quality(&mut self) -> Result<Quality, CodecError> {
        let at = self.at;
        let code = self.i32()?;
        Quality::from_code(code).ok_or(invalid("quality", code as u32 as u64, at))
    }
    fn sample(&mut self) -> Result<Sample, CodecError> {
        let source = self.source()?;
        let metric: Arc<str> = Arc::from(self.string()?);
        let datatype = DataType::from_code(self.u32()?);
        let timestamp_ms = self.i64()?;
        let value = if self.flag()? {
            Some(self.value()?)
        } else {
            None
        };
        let flags_at = self.at;
        let flags = self.u8()?;
        if flags > 0b11 {
            return Err(invalid("sample flags", flags.into(), flags_at));
        }
        let (is_historical, outside_window) = (flags & 1 != 0, flags & 2 != 0);
        let quality = self.quality()?;
        let seq = if self.flag()? { Some(self.u8()?) } else { None };
        let bd_seq = if self.flag()? {
            Some(self.u64()?)
        } else {
            None
        };
        let received_at_ms = self.i64()?;
        Ok(Sample {
            source,
            metric,
            datatype,
            timestamp_ms,
            value,
            is_historical,
            quality,
            seq,
            bd_seq,
            received_at_ms,
            outside_window,
        })
    }
    fn value(&mut self) -> Result<Value, CodecError> {
        let at = self.at;
        let datatype = DataType::from_code(self.u32()?);
        use DataType as T;
        Ok(match datatype {
            T::Int8 => Value::Int8(self.u64()? as i8),
            T::Int16 => Value::Int16(self.u64()? as i16),
            T::Int32 => Value::Int32(self.u64()? as i32),
            T::Int64 => Value::Int64(self.u64()? as i64),
            T::UInt8 => Value::UInt8(self.u64()? as u8),
            T::UInt16 => Value::UInt16(self.u64()? as u16),
            T::UInt32 => Value::UInt32(self.u64()? as u32),
            T::UInt64 => Value::UInt64(self.u64()?),
            T::DateTime => Value::DateTime(self.u64()?),
            T::Float => Value::Float(f32::from_bits(self.u64()? as u32)),
            T::Double => Value::Double(f64::from_bits(self.u64()?)),
            T::Boolean => Value::Boolean(self.u64()? != 0),
            T::String => Value::String(self.string()?),
            T::Text => Value::Text(self.string()?),
            T::Uuid => Value::Uuid(self.string()?),
            T::Bytes => Value::Bytes(self.bytes()?.to_vec()),
            T::File => Value::File(self.bytes()?.to_vec()),
            _ => {
                let bytes = self.bytes()?;
                let metric = one_metric(bytes).ok_or(CodecError::Value(at))?;
                metric.value.ok_or(CodecError::Value(at))?
            }
        })
    }
    fn birth(&mut self) -> Result<Birth, CodecError> {
        let source = self.source()?;
        let bd_seq = if self.flag()? {
            Some(self.u64()?)
        } else {
            None
        };
        let timestamp_ms = self.i64()?;
        let received_at_ms = self.i64()?;
        let count = self.u32()? as usize;
        // Every entry takes at least 10 bytes.
        let mut metrics = Vec::with_capacity(count.min(self.b.len().saturating_sub(self.at) / 10));
        for _ in 0..count {
            let metric: Arc<str> = Arc::from(self.string()?);
            let alias = if self.flag()? {
                Some(self.u64()?)
            } else {
                None
            };
            let datatype = DataType::from_code(self.u32()?);
            let properties = if self.flag()? {
                let at = self.at;
                let bytes = self.bytes()?;
                let m = one_metric(bytes).ok_or(CodecError::Value(at))?;
                Some(m.properties.ok_or(CodecError::Value(at))?)
            } else {
                None
            };
            metrics.push(CatalogueEntry {
                metric,
                alias,
                datatype,
                properties,
            });
        }
        Ok(Birth {
            source,
            bd_seq,
            timestamp_ms,
            received_at_ms,
            metrics,
            templates: Arc::default(),
        })
    }
    fn event(&mut self) -> Result<Event, CodecError> {
        let source = if self.flag()? {
            Some(self.source()?)
        } else {
            None
        };
        let at = self.at;
        let kind = match self.u8()? {
            1 => EventKind::Online,
            2 => EventKind::Offline {
                cause: self.string()?,
            },
            3 => EventKind::SeqGap {
                expected: self.u8()?,
                received: self.u8()?,
            },
            4 => EventKind::RebirthRequested {
                reason: self.string()?,
            },
            5 => EventKind::Violation {
                tck_id: self.string()?,
                detail: self.string()?,
            },
            tag => return Err(invalid("event kind", tag.into(), at)),
        };
        let bd_seq = if self.flag()? {
            Some(self.u64()?)
        } else {
            None
        };
        let timestamp_ms = self.i64()?;
        Ok(Event {
            source,
            kind,
            bd_seq,
            timestamp_ms,
        })
    }
}

fn one_metric(bytes: &[u8]) -> Option<Metric> {
    Payload::decode(bytes).ok()?.metrics.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkplug_b::{DataSet, PropertyValue, Template};

    fn sample(value: Option<Value>) -> Record {
        Record::Sample(Sample {
            source: Arc::new(Source::device("G", "N", "D")),
            metric: Arc::from("a/b"),
            datatype: value
                .as_ref()
                .map_or(DataType::from_code(99), Value::data_type),
            timestamp_ms: -5,
            value,
            is_historical: true,
            quality: Quality::Stale,
            seq: Some(255),
            bd_seq: None,
            received_at_ms: 7,
            outside_window: true,
        })
    }

    fn round_trip(batch: &Batch) -> Batch {
        let mut bytes = Vec::new();
        encode_batch(batch, 42, &mut bytes);
        let (back, at) = decode_batch(&bytes).unwrap();
        assert_eq!(at, 42);
        back
    }

    #[test]
    fn every_kind_of_value_round_trips() {
        let values = vec![
            Value::Int8(-1),
            Value::Int16(i16::MIN),
            Value::Int32(-7),
            Value::Int64(i64::MIN),
            Value::UInt8(255),
            Value::UInt16(65535),
            Value::UInt32(u32::MAX),
            Value::UInt64(u64::MAX),
            Value::Float(f32::INFINITY),
            Value::Double(-0.0),
            Value::Boolean(true),
            Value::String("ü".into()),
            Value::DateTime(1),
            Value::Text("t".into()),
            Value::Uuid("u".into()),
            Value::Bytes(vec![0, 1]),
            Value::File(vec![2]),
            Value::Int32Array(vec![1, -1]),
            Value::DoubleArray(vec![0.5]),
            Value::StringArray(vec!["x".into(), "".into()]),
            Value::BooleanArray(vec![true, false, true]),
            Value::DataSet(Box::new(
                DataSet::new([("c", DataType::Int32)]).with_row(vec![Some(Value::Int32(3))]),
            )),
            Value::Template(Box::new(Template::instance(
                "T",
                vec![Metric::new("m", 1.5f64)],
            ))),
        ];
        let batch: Batch = values
            .into_iter()
            .map(Some)
            .chain([None])
            .map(sample)
            .collect();
        assert_eq!(round_trip(&batch), batch);
    }

    #[test]
    fn nan_round_trips_bit_for_bit() {
        let batch: Batch = [sample(Some(Value::Double(f64::NAN)))]
            .into_iter()
            .collect();
        let back = round_trip(&batch);
        let Some(Record::Sample(s)) = back.records.first() else {
            panic!()
        };
        let Some(Value::Double(v)) = s.value else {
            panic!()
        };
        assert_eq!(v.to_bits(), f64::NAN.to_bits());
    }

    fn motor_catalogue() -> TemplateCatalog {
        let mut catalogue = TemplateCatalog::new();
        let motor = Template::definition(vec![sparkplug_b::Metric::new("Speed", 0.0)])
            .with_parameter(sparkplug_b::Parameter::new("Rated", 1500u32))
            .with_version("2");
        catalogue.define("Motor", motor).unwrap();
        catalogue
    }

    #[test]
    fn births_and_events_round_trip() {
        let source = Arc::new(Source::node("G", "N"));
        let props = PropertySet::new().with("engUnit", PropertyValue::new("°C"));
        let batch: Batch = vec![
            Record::Birth(Birth {
                source: Arc::clone(&source),
                bd_seq: Some(3),
                timestamp_ms: 1,
                received_at_ms: 2,
                metrics: vec![
                    CatalogueEntry {
                        metric: Arc::from("t"),
                        alias: Some(9),
                        datatype: DataType::Double,
                        properties: Some(props),
                    },
                    CatalogueEntry {
                        metric: Arc::from("u"),
                        alias: None,
                        datatype: DataType::from_code(77),
                        properties: None,
                    },
                ],
                templates: Arc::default(),
            }),
            Record::Birth(Birth {
                source: Arc::clone(&source),
                bd_seq: Some(4),
                timestamp_ms: 5,
                received_at_ms: 6,
                metrics: vec![],
                templates: Arc::new(motor_catalogue()),
            }),
            Record::Event(Event {
                source: None,
                kind: EventKind::Violation {
                    tck_id: "tck-id-x".into(),
                    detail: "d".into(),
                },
                bd_seq: None,
                timestamp_ms: 3,
            }),
            Record::Event(Event {
                source: Some(source),
                kind: EventKind::SeqGap {
                    expected: 1,
                    received: 3,
                },
                bd_seq: Some(1),
                timestamp_ms: 4,
            }),
        ]
        .into_iter()
        .collect();
        assert_eq!(round_trip(&batch), batch);
    }

    #[test]
    fn any_prefix_or_corruption_is_an_error_not_a_panic() {
        let batch: Batch = [sample(Some(Value::String("abc".into()))), sample(None)]
            .into_iter()
            .collect();
        let mut bytes = Vec::new();
        encode_batch(&batch, 1, &mut bytes);
        for len in 0..bytes.len() {
            assert!(decode_batch(&bytes[..len]).is_err(), "prefix {len}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xFF;
            let _ = decode_batch(&b);
        }
        // A huge count with no bytes behind it allocates nothing big.
        let mut b = 0i64.to_le_bytes().to_vec();
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_batch(&b), Err(CodecError::Truncated(12)));
    }
}
