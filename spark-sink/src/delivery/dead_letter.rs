//! The dead-letter file: records a sink can never write, with the reason, kept for an operator.
//!
//! One file per sink, `<dead_letter_dir>/<sink name>.deadletter.jsonl`, appended to and never
//! rewritten. Each line is one JSON object (JSON Lines), written whole with one `write`, and
//! made durable (`fsync`) once the batch it came from is settled:
//!
//! ```text
//! {"quarantined_at_ms": 1700000000123, "sink": "parquet", "reason": "…",
//!  "record": {"type": "sample", "group": "G", "node": "N", "device": null, "metric": "m",
//!             "datatype": 10, "datatype_name": "Double", "timestamp_ms": 1700000000000,
//!             "value": 1.5, "is_null": false, "is_historical": false,
//!             "outside_window": false, "quality": 192, "seq": 7, "bd_seq": 2,
//!             "received_at_ms": 1700000000005}}
//! ```
//!
//! (one line in the file; the lines of one write are synced together). `record.type` is `sample`, `birth` (with `bd_seq`, `timestamp_ms`,
//! `received_at_ms` and `metrics`: `[{name, alias, datatype, datatype_name, properties}]`) or
//! `event` (`kind`, `detail`, `bd_seq`, `timestamp_ms`; `group`/`node`/`device` null when the
//! event names no source). Values use the JSON rendering of `docs/JSON.md`. A line cut short
//! by a crash is the last one and is not valid JSON: readers skip it. When the file would grow
//! past its size limit the record is not written, and is counted as rejected but not
//! quarantined.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use crate::record::{Event, EventKind, Record, Source};

/// Why a record could not be put in the dead-letter file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeadLetterError {
    /// A file operation failed.
    #[error("dead-letter file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file reached its size limit.
    #[error("dead-letter file {} is full ({limit} bytes)", path.display())]
    Full {
        /// The file.
        path: PathBuf,
        /// Its limit.
        limit: u64,
    },
}

/// One sink's dead-letter file, opened on first use.
#[derive(Debug)]
pub(crate) struct DeadLetter {
    path: PathBuf,
    sink: String,
    file: Option<File>,
    len: u64,
    max_bytes: u64,
    /// Lines were written since the last [`DeadLetter::sync`].
    unsynced: bool,
}

impl DeadLetter {
    pub(crate) fn new(path: PathBuf, sink: &str, max_bytes: u64) -> DeadLetter {
        let len = std::fs::metadata(&path).map_or(0, |m| m.len());
        DeadLetter {
            path,
            sink: sink.to_owned(),
            file: None,
            len,
            max_bytes,
            unsynced: false,
        }
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line for `record` (durable at the next [`DeadLetter::sync`]).
    pub(crate) fn append(
        &mut self,
        record: &Record,
        reason: &str,
        at_ms: i64,
    ) -> Result<(), DeadLetterError> {
        let mut line = json!({
            "quarantined_at_ms": at_ms,
            "sink": self.sink,
            "reason": reason,
            "record": record_json(record),
        })
        .to_string();
        line.push('\n');
        if self.len + line.len() as u64 > self.max_bytes {
            return Err(DeadLetterError::Full {
                path: self.path.clone(),
                limit: self.max_bytes,
            });
        }
        let io = |source| DeadLetterError::Io {
            path: self.path.clone(),
            source,
        };
        if self.file.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(io)?;
            self.file = Some(file);
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        file.write_all(line.as_bytes()).map_err(io)?;
        self.len += line.len() as u64;
        self.unsynced = true;
        Ok(())
    }

    /// Makes the lines written so far durable.
    pub(crate) fn sync(&mut self) -> Result<(), DeadLetterError> {
        if let (true, Some(file)) = (self.unsynced, self.file.as_ref()) {
            file.sync_data().map_err(|source| DeadLetterError::Io {
                path: self.path.clone(),
                source,
            })?;
        }
        self.unsynced = false;
        Ok(())
    }
}

fn source_json(source: Option<&Source>) -> (Json, Json, Json) {
    match source {
        Some(s) => (json!(s.group), json!(s.node), json!(s.device)),
        None => (Json::Null, Json::Null, Json::Null),
    }
}

/// A record as JSON, every field kept.
pub(crate) fn record_json(record: &Record) -> Json {
    match record {
        Record::Sample(s) => {
            let (group, node, device) = source_json(Some(&s.source));
            json!({
                "type": "sample",
                "group": group, "node": node, "device": device,
                "metric": &*s.metric,
                "datatype": s.datatype.code(),
                "datatype_name": s.datatype.name(),
                "timestamp_ms": s.timestamp_ms,
                "value": s.value,
                "is_null": s.value.is_none(),
                "is_historical": s.is_historical,
                "outside_window": s.outside_window,
                "quality": s.quality.code(),
                "seq": s.seq,
                "bd_seq": s.bd_seq,
                "received_at_ms": s.received_at_ms,
            })
        }
        Record::Birth(b) => {
            let (group, node, device) = source_json(Some(&b.source));
            let metrics: Vec<Json> = b.metrics.iter().map(|m| m.to_json()).collect();
            json!({
                "type": "birth",
                "group": group, "node": node, "device": device,
                "bd_seq": b.bd_seq,
                "timestamp_ms": b.timestamp_ms,
                "received_at_ms": b.received_at_ms,
                "metrics": metrics,
            })
        }
        Record::Event(e) => {
            let (group, node, device) = source_json(e.source.as_deref());
            json!({
                "type": "event",
                "group": group, "node": node, "device": device,
                "kind": e.kind.name(),
                "detail": event_detail(e),
                "bd_seq": e.bd_seq,
                "timestamp_ms": e.timestamp_ms,
            })
        }
    }
}

fn event_detail(e: &Event) -> Json {
    match &e.kind {
        EventKind::Offline { cause } => json!({ "cause": cause }),
        EventKind::SeqGap { expected, received } => {
            json!({ "expected": expected, "received": received })
        }
        EventKind::RebirthRequested { reason } => json!({ "reason": reason }),
        EventKind::Violation { tck_id, detail } => json!({ "tck_id": tck_id, "detail": detail }),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sparkplug_b::{DataType, Quality, Value};

    use super::*;
    use crate::record::Sample;

    #[test]
    fn each_record_is_one_json_line_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/db.deadletter.jsonl");
        let mut dl = DeadLetter::new(path.clone(), "db", 1 << 20);
        let record = Record::Sample(Sample {
            source: Arc::new(Source::node("G", "N")),
            metric: Arc::from("m"),
            datatype: DataType::Double,
            timestamp_ms: 5,
            value: Some(Value::Double(f64::NAN)),
            is_historical: false,
            outside_window: false,
            quality: Quality::Good,
            seq: Some(1),
            bd_seq: None,
            received_at_ms: 6,
        });
        dl.append(&record, "too odd", 7).unwrap();
        dl.append(&record, "again", 8).unwrap();
        dl.sync().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Json> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["reason"], "too odd");
        assert_eq!(lines[0]["record"]["metric"], "m");
        assert_eq!(lines[0]["record"]["value"], "NaN");
        assert_eq!(lines[1]["quarantined_at_ms"], 8);
        let mut small = DeadLetter::new(path, "db", 10);
        assert!(matches!(
            small.append(&record, "x", 9),
            Err(DeadLetterError::Full { .. })
        ));
    }
}
