//! `MetaData`: describes Bytes, File and multi-part values.

/// Metadata of a metric, mostly for Bytes and File values and multi-part transfers
/// (SPARKPLUG.md 3.7). Every field is optional on the wire and stays optional here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaData {
    /// Whether the value is one part of a larger whole.
    pub is_multi_part: Option<bool>,
    /// MIME type of the content.
    pub content_type: Option<String>,
    /// Size of the whole value in bytes.
    pub size: Option<u64>,
    /// Index of this part in a multi-part transfer.
    pub seq: Option<u64>,
    /// File name, for File values.
    pub file_name: Option<String>,
    /// File type (such as an extension), for File values.
    pub file_type: Option<String>,
    /// MD5 sum of the content, as text.
    pub md5: Option<String>,
    /// Free-form description.
    pub description: Option<String>,
}
