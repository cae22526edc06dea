//! Errors of the codec: one type per operation.

use crate::DataType;
use core::fmt;

/// Why a byte string is not a Sparkplug B payload.
///
/// Decoding is total: every input gives a payload or one of these, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ends inside a field, or a length points past the end of its message.
    #[error("the payload is truncated: a field or length runs past the end of its message")]
    Truncated,
    /// A varint is longer than ten bytes or does not fit 64 bits.
    #[error("a varint is longer than 10 bytes or overflows 64 bits")]
    VarintOverflow,
    /// A field key carries wire type 6 or 7, which protobuf does not define.
    #[error("invalid protobuf wire type {0}")]
    InvalidWireType(u8),
    /// A field key carries field number 0 or one beyond protobuf's range.
    #[error("invalid protobuf field number {0}")]
    InvalidFieldNumber(u64),
    /// A known field arrived with a wire type its schema type cannot have.
    #[error("field {field} arrived with wire type {wire_type}, which its schema type cannot have")]
    WrongWireType {
        /// The field number.
        field: u32,
        /// The wire type found.
        wire_type: u8,
    },
    /// A proto2 group was not closed by its own end-group tag.
    #[error("a protobuf group is not closed by its matching end-group tag")]
    UnbalancedGroup,
    /// Templates, property sets or groups nest deeper than the configured limit.
    #[error("templates, property sets or groups nest deeper than the decoder's limit")]
    TooDeep,
    /// The payload holds more elements (metrics, properties, DataSet cells, ...) than the
    /// decoder's limit, [`DecodeOptions::max_elements`](crate::DecodeOptions::max_elements).
    #[error("the payload holds more than {limit} elements (metrics, properties, DataSet cells)")]
    TooManyElements {
        /// The limit in force.
        limit: usize,
    },
    /// A string field is not valid UTF-8.
    #[error("a string field is not valid UTF-8")]
    InvalidUtf8,
    /// A DataSet row has more or fewer cells than the DataSet declares column types: the
    /// table has no shape its cells fit (SPARKPLUG.md 3.4), and the encoder could not write it
    /// back.
    #[error("DataSet row {row} has {found} cells for {expected} column types")]
    DataSetRowWidth {
        /// The row's index.
        row: usize,
        /// The number of column types.
        expected: usize,
        /// The number of cells in the row.
        found: usize,
    },
    /// A value does not fit the data type declared for it.
    #[error("metric {metric}: {source}")]
    Value {
        /// Index of the top-level metric that holds the value.
        metric: usize,
        /// What is wrong with the value.
        #[source]
        source: ValueError,
    },
    /// The payload is compressed and its body could not be inflated.
    #[error("compressed payload: {0}")]
    Compression(#[from] CompressionError),
}

/// Why a wire value cannot be read as the data type declared for it (SPARKPLUG.md 3.1 - 3.4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value arrived in a field this data type is never carried in.
    #[error("a {datatype} value cannot be read from {field}")]
    WrongField {
        /// The declared data type.
        datatype: DataType,
        /// The field that carried the value.
        field: WireField,
    },
    /// An unsigned integer does not fit its declared width.
    #[error("{value} is out of range for {datatype}")]
    OutOfRange {
        /// The declared data type.
        datatype: DataType,
        /// The value on the wire.
        value: u64,
    },
    /// A packed array's byte length is not a multiple of its element width.
    #[error("{datatype} of {len} bytes is not a whole number of {width}-byte elements")]
    ArrayLength {
        /// The declared array type.
        datatype: DataType,
        /// Bytes on the wire.
        len: usize,
        /// Bytes per element.
        width: usize,
    },
    /// A BooleanArray is shorter than its 4-byte element count.
    #[error("BooleanArray is shorter than its 4-byte element count")]
    BooleanArrayHeader,
    /// A BooleanArray's count needs more (or fewer) bytes of bits than it carries.
    #[error("BooleanArray declares {count} elements but carries {bytes} bytes of bits")]
    BooleanArrayCount {
        /// The declared element count.
        count: u32,
        /// Bytes of bits after the count.
        bytes: usize,
    },
    /// A StringArray does not end with a NUL terminator.
    #[error("StringArray's last element is not NUL-terminated")]
    UnterminatedString,
    /// A StringArray element is not valid UTF-8.
    #[error("a StringArray element is not valid UTF-8")]
    InvalidUtf8,
}

/// Why a payload cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A value has no field to travel in at this place (an array in a property value, say).
    #[error("a {datatype} value cannot be carried by a {place}")]
    Unrepresentable {
        /// The value's data type.
        datatype: DataType,
        /// Where it was put: "metric", "property value", "template parameter", "DataSet cell".
        place: &'static str,
    },
    /// A DataSet cell's value is not of its column's declared type: it would travel in the
    /// field of its own type, where a reader of the column's type does not look (an Int64 in
    /// an Int32 column lands in `long_value`; `tck-id-payloads-template-dataset-value`).
    #[error("DataSet row {row}, column {column}: the column is {expected} but the cell is {found}")]
    DataSetCellType {
        /// The row index.
        row: usize,
        /// The column index.
        column: usize,
        /// The column's type.
        expected: DataType,
        /// The cell's type.
        found: DataType,
    },
    /// A DataSet row has more or fewer cells than the DataSet has column types.
    #[error("DataSet row {row} has {found} cells for {expected} columns")]
    DataSetRowWidth {
        /// The row index.
        row: usize,
        /// The number of column types.
        expected: usize,
        /// The number of cells in the row.
        found: usize,
    },
    /// A StringArray element contains NUL, which is the element terminator on the wire.
    #[error("a StringArray element contains a NUL byte, the terminator on the wire")]
    NulInStringArray,
    /// A BooleanArray has more elements than its u32 count can say.
    #[error("a BooleanArray has more than u32::MAX elements")]
    BooleanArrayTooLong,
}

/// Why a compressed payload's body could not be turned into the inner payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompressionError {
    /// The `algorithm` metric names an algorithm this crate does not know.
    #[error("unknown compression algorithm {0:?}")]
    UnknownAlgorithm(String),
    /// The payload is marked compressed but has no body.
    #[error("the payload is marked compressed but has no body")]
    MissingBody,
    /// The body is not valid DEFLATE/GZIP data.
    #[error("the body is not valid {algorithm} data")]
    Corrupt {
        /// The algorithm that failed.
        algorithm: &'static str,
    },
    /// The inflated body exceeds the configured limit (a decompression bomb, or a limit that
    /// is set too low).
    #[error("the inflated body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// This build has no decompression support (the `compression` feature is off).
    #[error("this build of sparkplug-b has no decompression support (feature `compression`)")]
    Unsupported,
}

/// The protobuf `oneof value` field that carried a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WireField {
    /// `int_value` (uint32 varint).
    IntValue,
    /// `long_value` (uint64 varint).
    LongValue,
    /// `float_value` (fixed32).
    FloatValue,
    /// `double_value` (fixed64).
    DoubleValue,
    /// `boolean_value` (varint).
    BooleanValue,
    /// `string_value` (UTF-8).
    StringValue,
    /// `bytes_value`.
    BytesValue,
    /// `dataset_value`.
    DataSetValue,
    /// `template_value`.
    TemplateValue,
    /// `propertyset_value`.
    PropertySetValue,
    /// `propertysets_value`.
    PropertySetsValue,
}

impl WireField {
    /// The field's name in the schema.
    pub const fn as_str(self) -> &'static str {
        match self {
            WireField::IntValue => "int_value",
            WireField::LongValue => "long_value",
            WireField::FloatValue => "float_value",
            WireField::DoubleValue => "double_value",
            WireField::BooleanValue => "boolean_value",
            WireField::StringValue => "string_value",
            WireField::BytesValue => "bytes_value",
            WireField::DataSetValue => "dataset_value",
            WireField::TemplateValue => "template_value",
            WireField::PropertySetValue => "propertyset_value",
            WireField::PropertySetsValue => "propertysets_value",
        }
    }
}

impl fmt::Display for WireField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
