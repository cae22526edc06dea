//! [`ParquetWriter`]: the synchronous archive writer behind [`ParquetSink`](super::ParquetSink).

use std::collections::BTreeMap;
use std::fs;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::cells::cell;
use super::config::ParquetConfig;
use super::error::{ParquetError, is_permanent};
use super::file::{ClosedFile, Columns, PartitionFile};
use super::partition::{Dataset, PartitionKey, day_of};
use super::wal;
use crate::error::RejectedRecord;
use crate::record::{Batch, Record};

/// What the writer has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParquetStats {
    /// Files closed and renamed to their final name.
    pub files_closed: u64,
    /// Rows in those files.
    pub rows_closed: u64,
    /// Bytes of those files.
    pub bytes_closed: u64,
    /// Files open now.
    pub open_files: u64,
    /// Rows in the open files (durable once they close).
    pub rows_open: u64,
    /// Rows lost with a file abandoned after an IO error (left as its `.tmp`; with
    /// [`ParquetConfig::write_ahead`], written again from its log at the next start).
    pub rows_lost: u64,
    /// Rows of files a crash left open, written again from their write-ahead logs at start.
    pub rows_recovered: u64,
    /// `.tmp` files with no write-ahead log found at start and removed (their rows, without a
    /// footer, cannot be read back).
    pub orphaned_tmp_removed: u64,
}

/// Writes batches into the hive-partitioned archive (`docs/PARQUET.md`): one open file per
/// dataset, group and day, each closed when it is big enough or old enough, on
/// [`ParquetWriter::flush`] and on [`ParquetWriter::close`].
///
/// `write` is all or nothing for rejections: every record is checked (value size, JSON
/// rendering) and every partition file the batch needs is opened before any record is
/// appended; records that can never be stored (a bad value, a partition path the file system
/// refuses) reject the batch, naming them. An IO error while appending abandons the file it
/// happened in.
pub struct ParquetWriter {
    config: ParquetConfig,
    open: BTreeMap<PartitionKey, PartitionFile>,
    /// Opening order, to close the oldest when too many are open.
    run: String,
    next_file: u64,
    stats: ParquetStats,
    closed: bool,
}

/// At most this many files are open; opening one more closes the oldest (a backfill spanning
/// many days must not hold a file per day).
const MAX_OPEN_FILES: usize = 64;

/// A record checked and ready to append.
enum Prepared<'a> {
    Sample(super::cells::Cell<'a>),
    Birth(Vec<Option<String>>),
    Event,
}

impl ParquetWriter {
    /// A writer under `config.root`, created when missing. What a crash left is recovered
    /// first: the rows of files that never closed are written again from their write-ahead
    /// logs (into new files, closed before this returns), and `.tmp` files without a log are
    /// removed.
    pub fn new(config: ParquetConfig) -> Result<Self, ParquetError> {
        fs::create_dir_all(&config.root).map_err(|e| ParquetError::io(&config.root, e))?;
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let mut writer = ParquetWriter {
            config,
            open: BTreeMap::new(),
            run: format!("{started}-{}", std::process::id()),
            next_file: 0,
            stats: ParquetStats::default(),
            closed: false,
        };
        writer.recover();
        Ok(writer)
    }

    /// Writes again the rows of the files a crash left open (see [`ParquetWriter::new`]).
    fn recover(&mut self) {
        let found = wal::recover(&self.config.root);
        self.stats.orphaned_tmp_removed = found.orphaned_tmp;
        if found.leftovers.is_empty() {
            return;
        }
        let mut batch = Batch {
            records: found.records,
        };
        let rows = batch.len() as u64;
        // Records checked before they were logged pass again, unless the limits changed:
        // those are left out (and logged), the rest written.
        let mut result = self.write(&batch).map(drop);
        if let Err(ParquetError::Rejected { records }) = &result {
            tracing::error!(
                rejected = records.len(),
                "Recovered Parquet rows the writer now rejects are left out."
            );
            let bad: std::collections::HashSet<usize> = records.iter().map(|r| r.index).collect();
            let mut i = 0;
            batch.records.retain(|_| {
                i += 1;
                !bad.contains(&(i - 1))
            });
            result = self.write(&batch).map(drop);
        }
        match result.and_then(|()| self.flush().map(drop)) {
            Ok(()) => {
                for path in &found.leftovers {
                    let _ = fs::remove_file(path);
                }
                self.stats.rows_recovered = batch.len() as u64;
                tracing::info!(
                    rows,
                    logs = found.leftovers.len(),
                    "Parquet rows a crash left in open files were written again from their write-ahead logs."
                );
            }
            Err(e) => {
                tracing::error!(error = %e, "The Parquet rows a crash left could not be written again; their logs are kept for the next start.");
            }
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ParquetConfig {
        &self.config
    }

    /// What the writer has done so far.
    pub fn stats(&self) -> ParquetStats {
        let mut stats = self.stats;
        stats.open_files = self.open.len() as u64;
        stats.rows_open = self.open.values().map(PartitionFile::rows).sum();
        stats
    }

    /// Appends a batch; closes the files that became due. Returns the files closed.
    pub fn write(&mut self, batch: &Batch) -> Result<Vec<ClosedFile>, ParquetError> {
        if self.closed {
            return Err(ParquetError::Closed);
        }
        let prepared = self.prepare(batch)?;
        self.open_partitions(batch)?;
        let marks = self.log_ahead(batch)?;
        let mut last: Option<PartitionKey> = None;
        for (record, prepared) in batch.records.iter().zip(prepared) {
            let (dataset, group, day) = partition_of(record);
            let same = last.as_ref().is_some_and(|k| {
                k.dataset == dataset && k.day == day && k.group.as_deref() == group
            });
            if !same {
                let key = PartitionKey {
                    dataset,
                    group: group.map(str::to_owned),
                    day,
                };
                self.ensure_open(&key)?;
                last = Some(key);
            }
            let Some(key) = last.as_ref() else { continue };
            let Some(file) = self.open.get_mut(key) else {
                continue;
            };
            match (&mut file.columns, record, prepared) {
                (Columns::Samples(c), Record::Sample(s), Prepared::Sample(cell)) => c.push(s, cell),
                (Columns::Events(c), Record::Event(e), Prepared::Event) => c.push(e),
                (Columns::Births(c), Record::Birth(b), Prepared::Birth(props)) => c.push(b, &props),
                _ => {}
            }
            let batch_rows = self.config.write_batch_rows;
            if let Err(e) = file.maybe_encode(batch_rows) {
                let key = key.clone();
                let mark = marks.iter().find(|(k, _)| *k == key).map(|(_, m)| *m);
                self.abandon(&key, mark);
                return Err(e);
            }
        }
        self.roll_due()
    }

    /// Closes the files that are big enough or have been open long enough.
    pub fn roll_due(&mut self) -> Result<Vec<ClosedFile>, ParquetError> {
        let now = Instant::now();
        let due: Vec<PartitionKey> = self
            .open
            .iter()
            .filter(|(_, f)| f.is_due(&self.config, now))
            .map(|(k, _)| k.clone())
            .collect();
        self.close_keys(due)
    }

    /// Closes every open file, making everything written so far durable and visible.
    pub fn flush(&mut self) -> Result<Vec<ClosedFile>, ParquetError> {
        let keys: Vec<PartitionKey> = self.open.keys().cloned().collect();
        self.close_keys(keys)
    }

    /// Closes every open file; later writes fail with [`ParquetError::Closed`].
    pub fn close(&mut self) -> Result<Vec<ClosedFile>, ParquetError> {
        let closed = self.flush();
        self.closed = true;
        closed
    }

    fn close_keys(&mut self, keys: Vec<PartitionKey>) -> Result<Vec<ClosedFile>, ParquetError> {
        let mut closed = Vec::new();
        let mut first_error = None;
        for key in keys {
            let Some(file) = self.open.remove(&key) else {
                continue;
            };
            let mut file = file;
            let rows = file.rows();
            if rows == 0 {
                // Opened for a batch that was then rejected: no empty file is published.
                let tmp = file.tmp_path().to_owned();
                let wal = file.wal.take();
                drop(file);
                if let Some(wal) = wal {
                    wal.remove();
                }
                let _ = fs::remove_file(tmp);
                continue;
            }
            match file.close() {
                Ok(done) => {
                    self.stats.files_closed += 1;
                    self.stats.rows_closed += done.rows;
                    self.stats.bytes_closed += done.bytes;
                    tracing::debug!(path = %done.path.display(), rows = done.rows, "Parquet file closed.");
                    closed.push(done);
                }
                Err(e) => {
                    self.stats.rows_lost += rows;
                    tracing::error!(error = %e, rows, "A Parquet file could not be closed; its rows are lost.");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(closed),
        }
    }

    /// Checks every record; the cells and JSON renderings to append, or every record that
    /// cannot be stored.
    fn prepare<'b>(&self, batch: &'b Batch) -> Result<Vec<Prepared<'b>>, ParquetError> {
        let limit = self.config.max_value_bytes;
        let mut rejected = Vec::new();
        let mut prepared = Vec::with_capacity(batch.len());
        for (index, record) in batch.records.iter().enumerate() {
            let result = match record {
                Record::Sample(s) => cell(s.value.as_ref(), limit)
                    .map(Prepared::Sample)
                    .map_err(|e| format!("{} {}: {e}", s.source, s.metric)),
                Record::Event(_) => Ok(Prepared::Event),
                Record::Birth(b) => b
                    .metrics
                    .iter()
                    .map(|m| match &m.properties {
                        None => Ok(None),
                        Some(p) => serde_json::to_string(p)
                            .map(Some)
                            .map_err(|e| format!("{} {}: {e}", b.source, m.metric)),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Prepared::Birth),
            };
            match result {
                Ok(p) => prepared.push(p),
                Err(reason) => rejected.push(RejectedRecord { index, reason }),
            }
        }
        if rejected.is_empty() {
            Ok(prepared)
        } else {
            Err(ParquetError::Rejected { records: rejected })
        }
    }

    /// Opens the file of every partition the batch writes to, before anything is appended, so
    /// that a partition the file system refuses (a path too long) rejects its records and
    /// leaves the rest of the batch to be written again, with no row appended twice.
    fn open_partitions(&mut self, batch: &Batch) -> Result<(), ParquetError> {
        let mut keys: Vec<PartitionKey> = Vec::new();
        for record in &batch.records {
            let (dataset, group, day) = partition_of(record);
            let known = keys
                .iter()
                .rev()
                .any(|k| k.dataset == dataset && k.day == day && k.group.as_deref() == group);
            if !known {
                keys.push(PartitionKey {
                    dataset,
                    group: group.map(str::to_owned),
                    day,
                });
            }
        }
        let mut refused: Vec<(PartitionKey, String)> = Vec::new();
        for key in keys {
            match self.ensure_open(&key) {
                Ok(()) => {}
                Err(ParquetError::Io { path, source }) if is_permanent(&source) => {
                    let reason = format!(
                        "the partition path {} cannot be created: {source}",
                        path.display()
                    );
                    refused.push((key, reason));
                }
                Err(e) => return Err(e),
            }
        }
        if refused.is_empty() {
            return Ok(());
        }
        let records = batch
            .records
            .iter()
            .enumerate()
            .filter_map(|(index, record)| {
                let (dataset, group, day) = partition_of(record);
                refused
                    .iter()
                    .find(|(k, _)| {
                        k.dataset == dataset && k.day == day && k.group.as_deref() == group
                    })
                    .map(|(_, reason)| RejectedRecord {
                        index,
                        reason: reason.clone(),
                    })
            })
            .collect();
        Err(ParquetError::Rejected { records })
    }

    fn ensure_open(&mut self, key: &PartitionKey) -> Result<(), ParquetError> {
        if self.open.contains_key(key) {
            return Ok(());
        }
        if self.open.len() >= MAX_OPEN_FILES {
            // BTreeMap order is (dataset, group, day): the oldest day of the first group is
            // the best guess at the partition that will not be written again.
            let oldest = self.open.keys().min_by_key(|k| k.day).cloned();
            if let Some(oldest) = oldest {
                self.close_keys(vec![oldest])?;
            }
        }
        self.next_file += 1;
        let name = format!("part-{}-{:06}.parquet", self.run, self.next_file);
        let file = PartitionFile::create(&self.config, key, &name)?;
        self.open.insert(key.clone(), file);
        Ok(())
    }

    /// Drops a file after an IO error: its rows are lost to this run. Its log, cut back to
    /// `mark` (before the failed batch, which the caller writes again), stays with the
    /// temporary file, and the next start writes those rows again.
    fn abandon(&mut self, key: &PartitionKey, mark: Option<u64>) {
        if let Some(mut file) = self.open.remove(key) {
            self.stats.rows_lost += file.rows();
            if let (Some(wal), Some(mark)) = (file.wal.as_mut(), mark) {
                let _ = wal.truncate(mark);
            }
            tracing::error!(path = %file.tmp_path().display(), rows = file.rows(), "A Parquet file was abandoned after an IO error.");
        }
    }

    /// Appends each partition's records of the batch to its file's write-ahead log, before
    /// anything is appended to the files; returns each log's length before the batch. A
    /// failure cuts the logs back and fails the write. (A batch over more partitions than
    /// may be open at once logs those it can; the others' rows are durable when their file
    /// closes.)
    fn log_ahead(&mut self, batch: &Batch) -> Result<Vec<(PartitionKey, u64)>, ParquetError> {
        if !self.config.write_ahead {
            return Ok(Vec::new());
        }
        let mut groups: Vec<(PartitionKey, Vec<&Record>)> = Vec::new();
        for record in &batch.records {
            let (dataset, group, day) = partition_of(record);
            let at = groups.iter().rposition(|(k, _)| {
                k.dataset == dataset && k.day == day && k.group.as_deref() == group
            });
            match at {
                Some(at) => groups[at].1.push(record),
                None => groups.push((
                    PartitionKey {
                        dataset,
                        group: group.map(str::to_owned),
                        day,
                    },
                    vec![record],
                )),
            }
        }
        let mut marks: Vec<(PartitionKey, u64)> = Vec::new();
        for (key, records) in groups {
            let Some(wal) = self.open.get_mut(&key).and_then(|f| f.wal.as_mut()) else {
                continue;
            };
            let mark = wal.len();
            if let Err(e) = wal.append(&records) {
                for (key, mark) in &marks {
                    if let Some(wal) = self.open.get_mut(key).and_then(|f| f.wal.as_mut()) {
                        let _ = wal.truncate(*mark);
                    }
                }
                return Err(e);
            }
            marks.push((key, mark));
        }
        Ok(marks)
    }
}

/// The dataset, group and UTC day a record is archived under.
fn partition_of(record: &Record) -> (Dataset, Option<&str>, i64) {
    let (dataset, group, ts) = match record {
        Record::Sample(s) => (
            Dataset::Samples,
            Some(s.source.group.as_str()),
            s.timestamp_ms,
        ),
        Record::Event(e) => (
            Dataset::Events,
            e.source.as_deref().map(|s| s.group.as_str()),
            e.timestamp_ms,
        ),
        Record::Birth(b) => (
            Dataset::Births,
            Some(b.source.group.as_str()),
            b.timestamp_ms,
        ),
    };
    (dataset, group, day_of(ts))
}

impl Drop for ParquetWriter {
    fn drop(&mut self) {
        if !self.open.is_empty() {
            // Closing on drop keeps what was written when the owner forgot `close`.
            let _ = self.flush();
        }
    }
}
