//! The Sparkplug `DataType` codes (SPARKPLUG.md section 3.1).

use core::fmt;

macro_rules! data_types {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $name:literal; )*) => {
        /// A Sparkplug B data type, as carried in `Metric.datatype`, `PropertyValue.type`,
        /// `Template.Parameter.type` and `DataSet.types`.
        ///
        /// Those wire fields are plain `uint32`, so a peer can send a code this enum does not
        /// know; [`DataType::from_code`] keeps it as [`DataType::Unrecognized`] instead of
        /// failing, and validation reports it (`tck-id-payloads-metric-datatype-value`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum DataType {
            $( $(#[$doc])* $variant, )*
            /// A code outside 0..=34, kept as received.
            Unrecognized(u32),
        }

        impl DataType {
            /// Every data type the specification defines, in code order.
            pub const ALL: [DataType; 35] = [$(DataType::$variant,)*];

            /// The data type for a wire code; unknown codes become [`DataType::Unrecognized`].
            pub const fn from_code(code: u32) -> DataType {
                match code {
                    $( $code => DataType::$variant, )*
                    other => DataType::Unrecognized(other),
                }
            }

            /// The wire code of this data type.
            pub const fn code(self) -> u32 {
                match self {
                    $( DataType::$variant => $code, )*
                    DataType::Unrecognized(code) => code,
                }
            }

            /// The specification's name of this data type (`"Int8"`, `"DateTimeArray"`, ...).
            pub const fn name(self) -> &'static str {
                match self {
                    $( DataType::$variant => $name, )*
                    DataType::Unrecognized(_) => "Unrecognized",
                }
            }
        }
    };
}

data_types! {
    /// Code 0: not a usable type; invalid on a metric.
    Unknown = 0, "Unknown";
    /// Signed 8-bit integer, sign-extended into `int_value`.
    Int8 = 1, "Int8";
    /// Signed 16-bit integer, sign-extended into `int_value`.
    Int16 = 2, "Int16";
    /// Signed 32-bit integer, reinterpreted into `int_value`.
    Int32 = 3, "Int32";
    /// Signed 64-bit integer, two's complement in `long_value`.
    Int64 = 4, "Int64";
    /// Unsigned 8-bit integer in `int_value`.
    UInt8 = 5, "UInt8";
    /// Unsigned 16-bit integer in `int_value`.
    UInt16 = 6, "UInt16";
    /// Unsigned 32-bit integer: `int_value` per the spec, `long_value` from Tahu-era peers.
    UInt32 = 7, "UInt32";
    /// Unsigned 64-bit integer in `long_value`.
    UInt64 = 8, "UInt64";
    /// IEEE-754 single precision in `float_value`.
    Float = 9, "Float";
    /// IEEE-754 double precision in `double_value`.
    Double = 10, "Double";
    /// Boolean in `boolean_value`.
    Boolean = 11, "Boolean";
    /// UTF-8 string in `string_value`.
    String = 12, "String";
    /// Milliseconds since the Unix epoch (UTC) in `long_value`.
    DateTime = 13, "DateTime";
    /// UTF-8 text in `string_value`.
    Text = 14, "Text";
    /// A UUID as text in `string_value`.
    Uuid = 15, "UUID";
    /// A table in `dataset_value`.
    DataSet = 16, "DataSet";
    /// Opaque bytes in `bytes_value`.
    Bytes = 17, "Bytes";
    /// File contents in `bytes_value` (name and type in the metric's metadata).
    File = 18, "File";
    /// A template definition or instance in `template_value`.
    Template = 19, "Template";
    /// A property set (property values only).
    PropertySet = 20, "PropertySet";
    /// A list of property sets (property values only).
    PropertySetList = 21, "PropertySetList";
    /// Packed little-endian `i8`s in `bytes_value`.
    Int8Array = 22, "Int8Array";
    /// Packed little-endian `i16`s in `bytes_value`.
    Int16Array = 23, "Int16Array";
    /// Packed little-endian `i32`s in `bytes_value`.
    Int32Array = 24, "Int32Array";
    /// Packed little-endian `i64`s in `bytes_value`.
    Int64Array = 25, "Int64Array";
    /// Packed `u8`s in `bytes_value`.
    UInt8Array = 26, "UInt8Array";
    /// Packed little-endian `u16`s in `bytes_value`.
    UInt16Array = 27, "UInt16Array";
    /// Packed little-endian `u32`s in `bytes_value`.
    UInt32Array = 28, "UInt32Array";
    /// Packed little-endian `u64`s in `bytes_value`.
    UInt64Array = 29, "UInt64Array";
    /// Packed little-endian `f32`s in `bytes_value`.
    FloatArray = 30, "FloatArray";
    /// Packed little-endian `f64`s in `bytes_value`.
    DoubleArray = 31, "DoubleArray";
    /// A little-endian `u32` count, then bits packed MSB-first, in `bytes_value`.
    BooleanArray = 32, "BooleanArray";
    /// NUL-terminated UTF-8 strings in `bytes_value`.
    StringArray = 33, "StringArray";
    /// Packed little-endian `u64` epoch milliseconds in `bytes_value`.
    DateTimeArray = 34, "DateTimeArray";
}

impl DataType {
    /// True for the basic types 1..=14 (Int8 to Text): the types a DataSet column or a
    /// template parameter may have (`tck-id-payloads-dataset-types-value`,
    /// `tck-id-payloads-template-parameter-type-value`).
    pub const fn is_basic(self) -> bool {
        matches!(self.code(), 1..=14)
    }

    /// True for the types a property value may have: the basic types plus PropertySet and
    /// PropertySetList (`tck-id-payloads-metric-propertyvalue-type-value`).
    pub const fn is_property_type(self) -> bool {
        self.is_basic() || matches!(self, DataType::PropertySet | DataType::PropertySetList)
    }

    /// True for the types a metric may carry: everything the spec defines except Unknown,
    /// PropertySet and PropertySetList (`tck-id-payloads-metric-datatype-value`).
    pub const fn is_metric_type(self) -> bool {
        matches!(self.code(), 1..=19 | 22..=34)
    }

    /// True for the 13 array types (22..=34).
    pub const fn is_array(self) -> bool {
        matches!(self.code(), 22..=34)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Unrecognized(code) => write!(f, "DataType({code})"),
            known => f.write_str(known.name()),
        }
    }
}

impl From<u32> for DataType {
    fn from(code: u32) -> Self {
        DataType::from_code(code)
    }
}

impl From<DataType> for u32 {
    fn from(datatype: DataType) -> Self {
        datatype.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_the_generated_enum() {
        for (i, dt) in DataType::ALL.iter().enumerate() {
            assert_eq!(dt.code(), i as u32);
            assert_eq!(DataType::from_code(dt.code()), *dt);
            let generated = crate::proto::DataType::try_from(dt.code() as i32)
                .expect("the schema defines every code");
            assert_eq!(
                generated.as_str_name().to_ascii_lowercase(),
                dt.name().to_ascii_lowercase()
            );
        }
    }

    #[test]
    fn unknown_codes_are_kept() {
        // tck-id-payloads-metric-datatype-value: decoding keeps an invalid code for validation.
        assert_eq!(DataType::from_code(35), DataType::Unrecognized(35));
        assert_eq!(DataType::from_code(u32::MAX).code(), u32::MAX);
        assert_eq!(DataType::Unrecognized(99).to_string(), "DataType(99)");
    }

    #[test]
    fn classes() {
        assert!(DataType::Text.is_basic() && !DataType::Uuid.is_basic());
        assert!(
            DataType::PropertySetList.is_property_type() && !DataType::Bytes.is_property_type()
        );
        assert!(DataType::Template.is_metric_type() && !DataType::PropertySet.is_metric_type());
        assert!(!DataType::Unknown.is_metric_type());
        assert_eq!(DataType::ALL.iter().filter(|d| d.is_array()).count(), 13);
    }
}
