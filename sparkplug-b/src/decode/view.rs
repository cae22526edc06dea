//! The borrowed read path: payload and metric fields read in place from the encoded bytes.
//!
//! [`PayloadView`] checks the framing of the top level once and then reads metrics lazily,
//! one [`MetricView`] at a time, without allocating. Strings and bytes are borrowed from the
//! input; nested messages (DataSet, Template, properties, metadata) stay as bytes until asked
//! for. A host that needs a few fields of each message (seq, alias, a double) reads them here at
//! a fraction of the cost of a full decode.

use crate::DataType;
use crate::error::DecodeError;
use crate::wire::{Reader, WireType};

/// A payload read in place from its encoded bytes.
///
/// `new` checks the framing of the top level once; metrics are then read lazily, one
/// [`MetricView`] at a time, without allocating. Strings and bytes are borrowed from the input;
/// nested messages (DataSet, Template, properties, metadata) stay as bytes. A host that needs a
/// few fields of each message (seq, alias, a double) reads them here at a fraction of the cost
/// of [`Payload::decode`](crate::Payload::decode).
///
/// ```
/// use sparkplug_b::{Metric, Payload, PayloadView, ValueRef};
///
/// let bytes = Payload::new(1_700_000_000_000)
///     .with_seq(7)
///     .with_metric(Metric::aliased(2, -8.75).with_timestamp(1_700_000_000_000))
///     .encode_to_vec()?;
/// let view = PayloadView::new(&bytes)?;
/// assert_eq!(view.seq(), Some(7));
/// for metric in view.metrics() {
///     let metric = metric?;
///     assert_eq!(metric.alias(), Some(2));
///     assert_eq!(metric.value(), Some(ValueRef::Double(-8.75)));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PayloadView<'a> {
    bytes: &'a [u8],
    timestamp: Option<u64>,
    seq: Option<u64>,
    uuid: Option<&'a str>,
    body: Option<&'a [u8]>,
    metric_count: usize,
}

impl<'a> PayloadView<'a> {
    /// Reads the top-level fields of a payload and checks its framing. Metrics are checked
    /// as they are read.
    pub fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut view = PayloadView {
            bytes,
            timestamp: None,
            seq: None,
            uuid: None,
            body: None,
            metric_count: 0,
        };
        let mut r = Reader::new(bytes);
        while let Some((field, wt)) = r.key()? {
            match field {
                1 => {
                    r.expect(field, wt, WireType::Varint)?;
                    view.timestamp = Some(r.varint()?);
                }
                2 => {
                    r.expect(field, wt, WireType::Len)?;
                    r.bytes()?;
                    view.metric_count += 1;
                }
                3 => {
                    r.expect(field, wt, WireType::Varint)?;
                    view.seq = Some(r.varint()?);
                }
                4 => {
                    r.expect(field, wt, WireType::Len)?;
                    view.uuid = Some(r.str()?);
                }
                5 => {
                    r.expect(field, wt, WireType::Len)?;
                    view.body = Some(r.bytes()?);
                }
                _ => r.skip(field, wt)?,
            }
        }
        Ok(view)
    }

    /// The payload timestamp.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// The sequence number, as on the wire.
    pub fn seq(&self) -> Option<u64> {
        self.seq
    }

    /// The uuid.
    pub fn uuid(&self) -> Option<&'a str> {
        self.uuid
    }

    /// The body.
    pub fn body(&self) -> Option<&'a [u8]> {
        self.body
    }

    /// The number of metrics.
    pub fn metric_count(&self) -> usize {
        self.metric_count
    }

    /// The metrics, read one at a time.
    pub fn metrics(&self) -> Metrics<'a> {
        Metrics {
            reader: Reader::new(self.bytes),
            remaining: self.metric_count,
        }
    }
}

/// Iterator over the metrics of a [`PayloadView`].
#[derive(Debug, Clone)]
pub struct Metrics<'a> {
    reader: Reader<'a>,
    remaining: usize,
}

impl<'a> Iterator for Metrics<'a> {
    type Item = Result<MetricView<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        // PayloadView::new checked the framing of every top-level field, so these reads cannot
        // fail; errors are still propagated rather than assumed away.
        loop {
            let (field, wt) = match self.reader.key() {
                Ok(Some(key)) => key,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            if field == 2 && wt == WireType::Len {
                self.remaining -= 1;
                return Some(self.reader.bytes().and_then(MetricView::new));
            }
            if let Err(e) = self.reader.skip(field, wt) {
                return Some(Err(e));
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Metrics<'_> {}

/// A metric read in place from its encoded bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetricView<'a> {
    pub(crate) name: Option<&'a str>,
    pub(crate) alias: Option<u64>,
    pub(crate) timestamp: Option<u64>,
    pub(crate) datatype: Option<u32>,
    pub(crate) is_historical: bool,
    pub(crate) is_transient: bool,
    pub(crate) is_null: bool,
    pub(crate) metadata: Option<&'a [u8]>,
    pub(crate) properties: Option<&'a [u8]>,
    pub(crate) value: Option<ValueRef<'a>>,
}

impl<'a> MetricView<'a> {
    /// Reads the fields of one encoded `Metric` message.
    pub fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut m = MetricView::default();
        let mut r = Reader::new(bytes);
        while let Some((field, wt)) = r.key()? {
            match field {
                1 => {
                    r.expect(field, wt, WireType::Len)?;
                    m.name = Some(r.str()?);
                }
                2 => {
                    r.expect(field, wt, WireType::Varint)?;
                    m.alias = Some(r.varint()?);
                }
                3 => {
                    r.expect(field, wt, WireType::Varint)?;
                    m.timestamp = Some(r.varint()?);
                }
                4 => {
                    r.expect(field, wt, WireType::Varint)?;
                    m.datatype = Some(r.uint32()?);
                }
                5 => {
                    r.expect(field, wt, WireType::Varint)?;
                    m.is_historical = r.bool()?;
                }
                6 => {
                    r.expect(field, wt, WireType::Varint)?;
                    m.is_transient = r.bool()?;
                }
                7 => {
                    r.expect(field, wt, WireType::Varint)?;
                    m.is_null = r.bool()?;
                }
                8 => {
                    r.expect(field, wt, WireType::Len)?;
                    m.metadata = Some(r.bytes()?);
                }
                9 => {
                    r.expect(field, wt, WireType::Len)?;
                    m.properties = Some(r.bytes()?);
                }
                // The value oneof: when a peer repeats it, the last field wins, as in protobuf.
                10..=19 => m.value = read_value(&mut r, field, wt)?,
                _ => r.skip(field, wt)?,
            }
        }
        Ok(m)
    }

    /// The metric name.
    pub fn name(&self) -> Option<&'a str> {
        self.name
    }

    /// The alias.
    pub fn alias(&self) -> Option<u64> {
        self.alias
    }

    /// The metric timestamp.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// The declared data type.
    pub fn datatype(&self) -> Option<DataType> {
        self.datatype.map(DataType::from_code)
    }

    /// The `is_historical` flag.
    pub fn is_historical(&self) -> bool {
        self.is_historical
    }

    /// The `is_transient` flag.
    pub fn is_transient(&self) -> bool {
        self.is_transient
    }

    /// The `is_null` flag.
    pub fn is_null(&self) -> bool {
        self.is_null
    }

    /// The encoded `MetaData` message, if any.
    pub fn metadata_bytes(&self) -> Option<&'a [u8]> {
        self.metadata
    }

    /// The encoded `PropertySet` message, if any.
    pub fn properties_bytes(&self) -> Option<&'a [u8]> {
        self.properties
    }

    /// The value as it is on the wire (`None` for no value or an extension value).
    pub fn value(&self) -> Option<ValueRef<'a>> {
        self.value
    }
}

/// A metric value as it is on the wire, borrowed: which field of the oneof, and its contents.
/// Integers are not yet reinterpreted by datatype, arrays not yet unpacked, nested messages not
/// yet decoded.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// `int_value`.
    Int(u32),
    /// `long_value`.
    Long(u64),
    /// `float_value`.
    Float(f32),
    /// `double_value`.
    Double(f64),
    /// `boolean_value`.
    Boolean(bool),
    /// `string_value`.
    String(&'a str),
    /// `bytes_value`.
    Bytes(&'a [u8]),
    /// `dataset_value`, encoded.
    DataSet(&'a [u8]),
    /// `template_value`, encoded.
    Template(&'a [u8]),
}

/// Reads a field of the metric value oneof. Extension values are skipped (`None`).
fn read_value<'a>(
    r: &mut Reader<'a>,
    field: u32,
    wt: WireType,
) -> Result<Option<ValueRef<'a>>, DecodeError> {
    let want = match field {
        10 | 11 | 14 => WireType::Varint,
        12 => WireType::Fixed32,
        13 => WireType::Fixed64,
        _ => WireType::Len,
    };
    r.expect(field, wt, want)?;
    Ok(Some(match field {
        10 => ValueRef::Int(r.uint32()?),
        11 => ValueRef::Long(r.varint()?),
        12 => ValueRef::Float(f32::from_bits(r.fixed32()?)),
        13 => ValueRef::Double(f64::from_bits(r.fixed64()?)),
        14 => ValueRef::Boolean(r.bool()?),
        15 => ValueRef::String(r.str()?),
        16 => ValueRef::Bytes(r.bytes()?),
        17 => ValueRef::DataSet(r.bytes()?),
        18 => ValueRef::Template(r.bytes()?),
        _ => {
            r.bytes()?;
            return Ok(None);
        }
    }))
}
