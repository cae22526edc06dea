//! Column builders for the events and births datasets.

use std::sync::Arc;

use arrow_array::builder::{
    Int32Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::ArrowError;

use super::cells::datatype_name;
use super::schema::{births_schema, events_schema};
use crate::record::{Birth, Event, EventKind};

fn bd_seq_i64(bd_seq: Option<u64>) -> Option<i64> {
    bd_seq.map(|b| i64::try_from(b).unwrap_or(i64::MAX))
}

/// Rows of the events dataset being built.
pub(crate) struct EventColumns {
    node: StringBuilder,
    device: StringBuilder,
    kind: StringBuilder,
    ts: TimestampMillisecondBuilder,
    bd_seq: Int64Builder,
    detail: StringBuilder,
    tck_id: StringBuilder,
    expected_seq: Int32Builder,
    received_seq: Int32Builder,
    rows: usize,
}

impl EventColumns {
    pub(crate) fn new() -> Self {
        EventColumns {
            node: StringBuilder::new(),
            device: StringBuilder::new(),
            kind: StringBuilder::new(),
            ts: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            bd_seq: Int64Builder::new(),
            detail: StringBuilder::new(),
            tck_id: StringBuilder::new(),
            expected_seq: Int32Builder::new(),
            received_seq: Int32Builder::new(),
            rows: 0,
        }
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    pub(crate) fn push(&mut self, event: &Event) {
        let source = event.source.as_deref();
        self.node.append_option(source.map(|s| s.node.as_str()));
        self.device
            .append_option(source.and_then(|s| s.device.as_deref()));
        self.kind.append_value(event.kind.name());
        self.ts.append_value(event.timestamp_ms);
        self.bd_seq.append_option(bd_seq_i64(event.bd_seq));
        let (detail, tck_id, seqs) = match &event.kind {
            EventKind::Offline { cause } => (Some(cause.as_str()), None, None),
            EventKind::RebirthRequested { reason } => (Some(reason.as_str()), None, None),
            EventKind::Violation { tck_id, detail } => {
                (Some(detail.as_str()), Some(tck_id.as_str()), None)
            }
            EventKind::SeqGap { expected, received } => (None, None, Some((*expected, *received))),
            _ => (None, None, None),
        };
        self.detail.append_option(detail);
        self.tck_id.append_option(tck_id);
        self.expected_seq
            .append_option(seqs.map(|(e, _)| i32::from(e)));
        self.received_seq
            .append_option(seqs.map(|(_, r)| i32::from(r)));
        self.rows += 1;
    }

    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.node.finish()),
            Arc::new(self.device.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.bd_seq.finish()),
            Arc::new(self.detail.finish()),
            Arc::new(self.tck_id.finish()),
            Arc::new(self.expected_seq.finish()),
            Arc::new(self.received_seq.finish()),
        ];
        self.rows = 0;
        RecordBatch::try_new(events_schema(), columns)
    }
}

/// Rows of the births dataset being built: one per catalogue entry.
pub(crate) struct BirthColumns {
    node: StringBuilder,
    device: StringBuilder,
    bd_seq: Int64Builder,
    ts: TimestampMillisecondBuilder,
    received_at: TimestampMillisecondBuilder,
    metric: StringBuilder,
    alias: UInt64Builder,
    datatype: StringBuilder,
    properties_json: StringBuilder,
    rows: usize,
}

impl BirthColumns {
    pub(crate) fn new() -> Self {
        BirthColumns {
            node: StringBuilder::new(),
            device: StringBuilder::new(),
            bd_seq: Int64Builder::new(),
            ts: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            received_at: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            metric: StringBuilder::new(),
            alias: UInt64Builder::new(),
            datatype: StringBuilder::new(),
            properties_json: StringBuilder::new(),
            rows: 0,
        }
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Appends one row per catalogue entry; `properties[i]` is entry `i`'s properties as JSON.
    pub(crate) fn push(&mut self, birth: &Birth, properties: &[Option<String>]) {
        for (entry, props) in birth.metrics.iter().zip(properties) {
            self.node.append_value(&birth.source.node);
            self.device.append_option(birth.source.device.as_deref());
            self.bd_seq.append_option(bd_seq_i64(birth.bd_seq));
            self.ts.append_value(birth.timestamp_ms);
            self.received_at.append_value(birth.received_at_ms);
            self.metric.append_value(&*entry.metric);
            self.alias.append_option(entry.alias);
            self.datatype.append_value(datatype_name(entry.datatype));
            self.properties_json.append_option(props.as_deref());
            self.rows += 1;
        }
    }

    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.node.finish()),
            Arc::new(self.device.finish()),
            Arc::new(self.bd_seq.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.received_at.finish()),
            Arc::new(self.metric.finish()),
            Arc::new(self.alias.finish()),
            Arc::new(self.datatype.finish()),
            Arc::new(self.properties_json.finish()),
        ];
        self.rows = 0;
        RecordBatch::try_new(births_schema(), columns)
    }
}
