//! Column builders for the samples dataset.

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMillisecondBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::ArrowError;
use std::sync::Arc;

use super::cells::{Cell, datatype_name};
use super::schema::samples_schema;
use crate::record::Sample;

/// Rows of the samples dataset being built, one builder per column.
pub(crate) struct SampleColumns {
    node: StringBuilder,
    device: StringBuilder,
    metric: StringBuilder,
    datatype: StringBuilder,
    ts: TimestampMillisecondBuilder,
    is_null: BooleanBuilder,
    is_historical: BooleanBuilder,
    quality: Int32Builder,
    seq: Int32Builder,
    bd_seq: Int64Builder,
    received_at: TimestampMillisecondBuilder,
    int_value: Int64Builder,
    uint_value: UInt64Builder,
    double_value: Float64Builder,
    bool_value: BooleanBuilder,
    string_value: StringBuilder,
    bytes_value: BinaryBuilder,
    json_value: StringBuilder,
    outside_window: BooleanBuilder,
    rows: usize,
    data_bytes: usize,
}

impl SampleColumns {
    pub(crate) fn new() -> Self {
        SampleColumns {
            node: StringBuilder::new(),
            device: StringBuilder::new(),
            metric: StringBuilder::new(),
            datatype: StringBuilder::new(),
            ts: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            is_null: BooleanBuilder::new(),
            is_historical: BooleanBuilder::new(),
            quality: Int32Builder::new(),
            seq: Int32Builder::new(),
            bd_seq: Int64Builder::new(),
            received_at: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            int_value: Int64Builder::new(),
            uint_value: UInt64Builder::new(),
            double_value: Float64Builder::new(),
            bool_value: BooleanBuilder::new(),
            string_value: StringBuilder::new(),
            bytes_value: BinaryBuilder::new(),
            json_value: StringBuilder::new(),
            outside_window: BooleanBuilder::new(),
            rows: 0,
            data_bytes: 0,
        }
    }

    /// Rows appended since the last [`SampleColumns::finish`].
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Bytes of variable-width data appended since the last finish (names and values).
    pub(crate) fn data_bytes(&self) -> usize {
        self.data_bytes
    }

    /// Appends one sample whose value was already turned into `cell`.
    pub(crate) fn push(&mut self, sample: &Sample, cell: Cell<'_>) {
        let source = &*sample.source;
        self.node.append_value(&source.node);
        self.device.append_option(source.device.as_deref());
        self.metric.append_value(&*sample.metric);
        self.datatype.append_value(datatype_name(sample.datatype));
        self.ts.append_value(sample.timestamp_ms);
        self.is_null.append_value(sample.value.is_none());
        self.is_historical.append_value(sample.is_historical);
        self.quality.append_value(sample.quality.code());
        self.seq.append_option(sample.seq.map(i32::from));
        self.bd_seq
            .append_option(sample.bd_seq.map(|b| i64::try_from(b).unwrap_or(i64::MAX)));
        self.received_at.append_value(sample.received_at_ms);
        self.data_bytes += source.node.len()
            + source.device.as_ref().map_or(0, String::len)
            + sample.metric.len()
            + cell.data_len();
        let (mut int, mut uint, mut double, mut boolean) = (None, None, None, None);
        let (mut string, mut bytes, mut json) = (None, None, None);
        match cell {
            Cell::Null => {}
            Cell::Int(v) => int = Some(v),
            Cell::UInt(v) => uint = Some(v),
            Cell::Double(v) => double = Some(v),
            Cell::Bool(v) => boolean = Some(v),
            Cell::Str(v) => string = Some(v),
            Cell::Bytes(v) => bytes = Some(v),
            Cell::Json(v) => {
                self.json_value.append_value(v);
                json = Some(());
            }
        }
        self.int_value.append_option(int);
        self.uint_value.append_option(uint);
        self.double_value.append_option(double);
        self.bool_value.append_option(boolean);
        self.string_value.append_option(string);
        self.bytes_value.append_option(bytes);
        if json.is_none() {
            self.json_value.append_null();
        }
        self.outside_window.append_value(sample.outside_window);
        self.rows += 1;
    }

    /// The rows appended so far as a record batch; the builders start over empty.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.node.finish()),
            Arc::new(self.device.finish()),
            Arc::new(self.metric.finish()),
            Arc::new(self.datatype.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.is_null.finish()),
            Arc::new(self.is_historical.finish()),
            Arc::new(self.quality.finish()),
            Arc::new(self.seq.finish()),
            Arc::new(self.bd_seq.finish()),
            Arc::new(self.received_at.finish()),
            Arc::new(self.int_value.finish()),
            Arc::new(self.uint_value.finish()),
            Arc::new(self.double_value.finish()),
            Arc::new(self.bool_value.finish()),
            Arc::new(self.string_value.finish()),
            Arc::new(self.bytes_value.finish()),
            Arc::new(self.json_value.finish()),
            Arc::new(self.outside_window.finish()),
        ];
        self.rows = 0;
        self.data_bytes = 0;
        RecordBatch::try_new(samples_schema(), columns)
    }
}
