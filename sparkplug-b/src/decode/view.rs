//! The borrowed read path: payload and metric fields read in place from the encoded bytes.
//!
//! [`PayloadView`] checks the framing of the top level once and then reads metrics lazily,
//! one [`MetricView`] at a time, without allocating. Strings and bytes are borrowed from the
//! input; nested messages (DataSet, Template, properties, metadata) stay as bytes until asked
//! for. A host that needs a few fields of each message (seq, alias, a double) reads them here at
//! a fraction of the cost of a full decode.

use crate::DataType;
use crate::error::DecodeError;
use crate::wire::Reader;

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
    #[inline]
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
        while let Some(tag) = r.tag()? {
            match tag {
                tags::P_TIMESTAMP => view.timestamp = Some(r.varint()?),
                tags::P_METRIC => {
                    r.bytes()?;
                    view.metric_count += 1;
                }
                tags::P_SEQ => view.seq = Some(r.varint()?),
                tags::P_UUID => view.uuid = Some(r.str()?),
                tags::P_BODY => view.body = Some(r.bytes()?),
                _ => r.skip_tag(tag, 5)?,
            }
        }
        Ok(view)
    }

    /// The payload timestamp.
    #[inline]
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// The sequence number, as on the wire.
    #[inline]
    pub fn seq(&self) -> Option<u64> {
        self.seq
    }

    /// The uuid.
    #[inline]
    pub fn uuid(&self) -> Option<&'a str> {
        self.uuid
    }

    /// The body.
    #[inline]
    pub fn body(&self) -> Option<&'a [u8]> {
        self.body
    }

    /// The number of metrics.
    #[inline]
    pub fn metric_count(&self) -> usize {
        self.metric_count
    }

    /// The metrics, read one at a time.
    #[inline]
    pub fn metrics(&self) -> Metrics<'a> {
        Metrics {
            reader: Reader::new(self.bytes),
            remaining: self.metric_count,
        }
    }
}

/// The top-level fields of a payload other than its metrics, borrowed (see [`read_payload`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TopLevel<'a> {
    pub(crate) timestamp: Option<u64>,
    pub(crate) seq: Option<u64>,
    pub(crate) uuid: Option<&'a str>,
    pub(crate) body: Option<&'a [u8]>,
}

/// Reads a payload in one pass: each metric goes to `on_metric`, with its index, as soon as
/// its fields are read; the other top-level fields are returned (the last of a repeated field
/// wins). The first error, of the wire or of `on_metric`, ends the pass.
/// [`Payload::decode`](crate::Payload::decode) is this with a closure that decodes each
/// metric, so a reader that does something else with the metrics meets the same errors in the
/// same order.
#[inline]
pub(crate) fn read_payload<'a, E: From<DecodeError>>(
    bytes: &'a [u8],
    mut on_metric: impl FnMut(usize, MetricView<'a>) -> Result<(), E>,
) -> Result<TopLevel<'a>, E> {
    let mut top = TopLevel::default();
    let mut index = 0;
    let mut r = Reader::new(bytes);
    while let Some(tag) = r.tag()? {
        match tag {
            tags::P_TIMESTAMP => top.timestamp = Some(r.varint()?),
            tags::P_METRIC => {
                on_metric(index, MetricView::new(r.bytes()?)?)?;
                index += 1;
            }
            tags::P_SEQ => top.seq = Some(r.varint()?),
            tags::P_UUID => top.uuid = Some(r.str()?),
            tags::P_BODY => top.body = Some(r.bytes()?),
            _ => r.skip_tag(tag, 5)?,
        }
    }
    Ok(top)
}

/// Iterator over the metrics of a [`PayloadView`].
#[derive(Debug, Clone)]
pub struct Metrics<'a> {
    reader: Reader<'a>,
    remaining: usize,
}

impl<'a> Iterator for Metrics<'a> {
    type Item = Result<MetricView<'a>, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        // PayloadView::new checked the framing of every top-level field, so these reads cannot
        // fail; errors are still propagated rather than assumed away.
        loop {
            let tag = match self.reader.tag() {
                Ok(Some(tag)) => tag,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            if tag == tags::P_METRIC {
                self.remaining -= 1;
                return Some(self.reader.bytes().and_then(MetricView::new));
            }
            // Any other field: PayloadView::new already checked it, so it is skipped as it is.
            let (field, wire_type) = crate::wire::split_tag(tag);
            if let Err(e) = self.reader.skip(field, wire_type) {
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
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut m = MetricView::default();
        let mut r = Reader::new(bytes);
        while let Some(tag) = r.tag()? {
            match tag {
                tags::M_NAME => m.name = Some(r.str()?),
                tags::M_ALIAS => m.alias = Some(r.varint()?),
                tags::M_TIMESTAMP => m.timestamp = Some(r.varint()?),
                tags::M_DATATYPE => m.datatype = Some(r.uint32()?),
                tags::M_IS_HISTORICAL => m.is_historical = r.bool()?,
                tags::M_IS_TRANSIENT => m.is_transient = r.bool()?,
                tags::M_IS_NULL => m.is_null = r.bool()?,
                tags::M_METADATA => m.metadata = Some(r.bytes()?),
                tags::M_PROPERTIES => m.properties = Some(r.bytes()?),
                // The value oneof: when a peer repeats it, the last field wins, as in protobuf.
                tags::M_INT => m.value = Some(ValueRef::Int(r.uint32()?)),
                tags::M_LONG => m.value = Some(ValueRef::Long(r.varint()?)),
                tags::M_FLOAT => m.value = Some(ValueRef::Float(f32::from_bits(r.fixed32()?))),
                tags::M_DOUBLE => m.value = Some(ValueRef::Double(f64::from_bits(r.fixed64()?))),
                tags::M_BOOLEAN => m.value = Some(ValueRef::Boolean(r.bool()?)),
                tags::M_STRING => m.value = Some(ValueRef::String(r.str()?)),
                tags::M_BYTES => m.value = Some(ValueRef::Bytes(r.bytes()?)),
                tags::M_DATASET => m.value = Some(ValueRef::DataSet(r.bytes()?)),
                tags::M_TEMPLATE => m.value = Some(ValueRef::Template(r.bytes()?)),
                // An extension value replaces the oneof and is not kept.
                tags::M_EXTENSION => {
                    r.bytes()?;
                    m.value = None;
                }
                _ => r.skip_tag(tag, 19)?,
            }
        }
        Ok(m)
    }

    /// The metric name.
    #[inline]
    pub fn name(&self) -> Option<&'a str> {
        self.name
    }

    /// The alias.
    #[inline]
    pub fn alias(&self) -> Option<u64> {
        self.alias
    }

    /// The metric timestamp.
    #[inline]
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// The declared data type.
    #[inline]
    pub fn datatype(&self) -> Option<DataType> {
        self.datatype.map(DataType::from_code)
    }

    /// The `is_historical` flag.
    #[inline]
    pub fn is_historical(&self) -> bool {
        self.is_historical
    }

    /// The `is_transient` flag.
    #[inline]
    pub fn is_transient(&self) -> bool {
        self.is_transient
    }

    /// The `is_null` flag.
    #[inline]
    pub fn is_null(&self) -> bool {
        self.is_null
    }

    /// The encoded `MetaData` message, if any.
    #[inline]
    pub fn metadata_bytes(&self) -> Option<&'a [u8]> {
        self.metadata
    }

    /// The encoded `PropertySet` message, if any.
    #[inline]
    pub fn properties_bytes(&self) -> Option<&'a [u8]> {
        self.properties
    }

    /// The value as it is on the wire (`None` for no value or an extension value).
    #[inline]
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

/// The tags (`field << 3 | wire type`) of the Payload and Metric fields, so that one comparison
/// checks a field's number and its wire type.
pub(crate) mod tags {
    const VARINT: u32 = 0;
    const FIXED64: u32 = 1;
    const LEN: u32 = 2;
    const FIXED32: u32 = 5;

    const fn tag(field: u32, wire_type: u32) -> u32 {
        field << 3 | wire_type
    }

    pub(crate) const P_TIMESTAMP: u32 = tag(1, VARINT);
    pub(crate) const P_METRIC: u32 = tag(2, LEN);
    pub(crate) const P_SEQ: u32 = tag(3, VARINT);
    pub(crate) const P_UUID: u32 = tag(4, LEN);
    pub(crate) const P_BODY: u32 = tag(5, LEN);

    pub(crate) const M_NAME: u32 = tag(1, LEN);
    pub(crate) const M_ALIAS: u32 = tag(2, VARINT);
    pub(crate) const M_TIMESTAMP: u32 = tag(3, VARINT);
    pub(crate) const M_DATATYPE: u32 = tag(4, VARINT);
    pub(crate) const M_IS_HISTORICAL: u32 = tag(5, VARINT);
    pub(crate) const M_IS_TRANSIENT: u32 = tag(6, VARINT);
    pub(crate) const M_IS_NULL: u32 = tag(7, VARINT);
    pub(crate) const M_METADATA: u32 = tag(8, LEN);
    pub(crate) const M_PROPERTIES: u32 = tag(9, LEN);
    pub(crate) const M_INT: u32 = tag(10, VARINT);
    pub(crate) const M_LONG: u32 = tag(11, VARINT);
    pub(crate) const M_FLOAT: u32 = tag(12, FIXED32);
    pub(crate) const M_DOUBLE: u32 = tag(13, FIXED64);
    pub(crate) const M_BOOLEAN: u32 = tag(14, VARINT);
    pub(crate) const M_STRING: u32 = tag(15, LEN);
    pub(crate) const M_BYTES: u32 = tag(16, LEN);
    pub(crate) const M_DATASET: u32 = tag(17, LEN);
    pub(crate) const M_TEMPLATE: u32 = tag(18, LEN);
    pub(crate) const M_EXTENSION: u32 = tag(19, LEN);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Metric, Payload};

    #[test]
    fn top_level_fields_and_count() {
        let p = Payload {
            uuid: Some("u".into()),
            body: Some(vec![1, 2]),
            ..Payload::new(5)
                .with_seq(9)
                .with_metric(Metric::aliased(1, 1.0))
                .with_metric(Metric::aliased(2, 2.0))
        };
        let bytes = p.encode_to_vec().unwrap();
        let view = PayloadView::new(&bytes).unwrap();
        assert_eq!(
            (view.timestamp(), view.seq(), view.uuid(), view.body()),
            (Some(5), Some(9), Some("u"), Some(&[1u8, 2][..]))
        );
        assert_eq!(view.metric_count(), 2);
        let aliases: Vec<_> = view.metrics().map(|m| m.unwrap().alias()).collect();
        assert_eq!(aliases, [Some(1), Some(2)]);
    }

    #[test]
    fn the_last_value_of_the_oneof_wins_and_extensions_clear_it() {
        // int_value 1, then double_value 2.0
        let mut bytes = vec![0x50, 0x01, 0x69];
        bytes.extend_from_slice(&2.0f64.to_le_bytes());
        assert_eq!(
            MetricView::new(&bytes).unwrap().value(),
            Some(ValueRef::Double(2.0))
        );
        bytes.extend_from_slice(&[0x9a, 0x01, 0x00]); // extension_value (field 19), empty
        assert_eq!(MetricView::new(&bytes).unwrap().value(), None);
    }

    #[test]
    fn known_fields_with_a_wrong_wire_type_are_errors_unknown_ones_are_skipped() {
        // name (field 1) as a varint
        assert_eq!(
            MetricView::new(&[0x08, 0x01]),
            Err(DecodeError::WrongWireType {
                field: 1,
                wire_type: 0
            })
        );
        // field 20 varint: unknown, skipped
        let m = MetricView::new(&[0xa0, 0x01, 0x05, 0x10, 0x03]).unwrap();
        assert_eq!(m.alias(), Some(3));
        // seq (payload field 3) as a length-delimited field
        assert!(PayloadView::new(&[0x1a, 0x00]).is_err());
    }
}
