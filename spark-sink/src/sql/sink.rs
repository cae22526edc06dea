//! [`SqlSink`]: the write side of a [`SqlStore`](super::SqlStore), implementing [`Sink`].

use async_trait::async_trait;

use super::db::Pool;
use super::dialect::Dialect;
use super::error::sink_error;
use super::ids::IdCache;
use super::samples::{self, Statements};
use super::stats::SinkStats;
use super::{SqlOptions, meta};
use crate::error::{RejectedRecord, SinkError};
use crate::record::{Batch, Record, Source};
use crate::sink::Sink;

/// Writes batches into a SQL store: births and events stored and node and device state
/// applied in one transaction, then multi-row inserts of samples (duplicates ignored, so a
/// replayed batch is a no-op), split by key over [`SqlOptions::sample_writers`] connections.
///
/// Made by [`SqlStore::sink`](super::SqlStore::sink); several sinks may share one store.
#[derive(Debug)]
pub struct SqlSink {
    pool: Pool,
    options: SqlOptions,
    ids: IdCache,
    statements: Statements,
    stats: SinkStats,
    closed: bool,
}

impl SqlSink {
    pub(crate) fn new(pool: Pool, options: SqlOptions) -> Self {
        SqlSink {
            pool,
            options,
            ids: IdCache::default(),
            statements: Statements::default(),
            stats: SinkStats::default(),
            closed: false,
        }
    }

    /// The engine it writes to.
    pub fn dialect(&self) -> Dialect {
        self.pool.dialect()
    }

    /// What it wrote and refused so far.
    pub fn stats(&self) -> &SinkStats {
        &self.stats
    }

    /// Connections that write one batch's samples at the same time: one for SQLite, which
    /// takes one writer at a time anyway.
    fn writers(&self) -> usize {
        match self.pool.dialect() {
            Dialect::Sqlite => 1,
            Dialect::MySql => self.options.sample_writers as usize,
        }
    }

    fn name_str(&self) -> &'static str {
        self.pool.dialect().name()
    }

    async fn write_batch(&mut self, batch: &Batch) -> Result<(), SinkError> {
        let sink = self.name_str();
        let dialect = self.pool.dialect();
        // Everything is checked before the database is touched: a record that can never be
        // stored rejects the batch, naming it, and nothing of the batch is written (the
        // delivery pipeline quarantines it and writes the rest).
        let mut rejected = Vec::new();
        let samples = batch
            .records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Record::Sample(s) => Some((i, s)),
                _ => None,
            });
        let rows = samples::prepare(
            samples,
            self.options.max_value_bytes,
            self.options.expand_templates,
            &mut self.stats,
            &mut rejected,
        );
        let mut births = Vec::new();
        let mut events = Vec::new();
        for (index, record) in batch.records.iter().enumerate() {
            let source = match record {
                Record::Birth(b) => Some(&*b.source),
                Record::Event(e) => e.source.as_deref(),
                Record::Sample(_) => continue,
            };
            if let Some(source) = source.filter(|s| !super::source_fits(s)) {
                self.stats.reject("source_id_too_long");
                rejected.push(RejectedRecord {
                    index,
                    reason: super::source_too_long(source),
                });
                continue;
            }
            match record {
                Record::Birth(b) => births.push(b),
                Record::Event(e) => events.push(e),
                Record::Sample(_) => {}
            }
        }
        if !rejected.is_empty() {
            rejected.sort_by_key(|r| r.index);
            return Err(SinkError::RejectedRecords {
                sink: sink.to_owned(),
                records: rejected,
            });
        }

        let sources = rows
            .iter()
            .map(|r| r.source)
            .chain(births.iter().map(|b| &*b.source))
            .chain(events.iter().filter_map(|e| e.source.as_deref()));
        let sources: Vec<&Source> = sources.collect();
        self.ids
            .ensure_sources(&self.pool, sources)
            .await
            .map_err(|e| sink_error(sink, "resolving node ids", e))?;
        let mut wanted: Vec<_> = rows
            .iter()
            .map(|r| (r.source, &r.metric, r.declared))
            .collect();
        for b in &births {
            for m in &b.metrics {
                if m.metric.chars().count() <= samples::MAX_NAME_CHARS {
                    wanted.push((&*b.source, &m.metric, m.datatype));
                }
            }
        }
        self.ids
            .ensure_metrics(&self.pool, wanted)
            .await
            .map_err(|e| sink_error(sink, "resolving metric ids", e))?;

        // Births and events first, in one transaction; then the samples, over several
        // connections. A retried batch rewrites neither twice: births, events and samples are
        // all keyed, and repeats are ignored.
        let mut new_events = 0;
        if !births.is_empty() || !events.is_empty() {
            let mut tx = self
                .pool
                .begin()
                .await
                .map_err(|e| sink_error(sink, "starting a transaction", e))?;
            for birth in &births {
                meta::write_birth(&mut tx, dialect, birth, &self.ids)
                    .await
                    .map_err(|e| sink_error(sink, "writing a birth", e))?;
            }
            for event in &events {
                if meta::write_event(&mut tx, dialect, event, &self.ids)
                    .await
                    .map_err(|e| sink_error(sink, "writing an event", e))?
                {
                    new_events += 1;
                }
            }
            tx.commit()
                .await
                .map_err(|e| sink_error(sink, "committing", e))?;
        }
        let writers = self.writers();
        let written = samples::write(&self.pool, &mut self.statements, &rows, &self.ids, writers)
            .await
            .map_err(|e| sink_error(sink, "writing samples", e))?;
        self.stats.batches += 1;
        self.stats.samples += rows.len() as u64;
        self.stats.samples_written += written;
        self.stats.births += births.len() as u64;
        self.stats.events += new_events;
        Ok(())
    }
}

#[async_trait]
impl Sink for SqlSink {
    fn name(&self) -> &str {
        self.name_str()
    }

    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        if self.closed {
            return Err(SinkError::Closed {
                sink: self.name_str().to_owned(),
            });
        }
        if batch.is_empty() {
            return Ok(());
        }
        let result = self.write_batch(batch).await;
        match &result {
            // Found before the database was touched: nothing to forget.
            Err(SinkError::RejectedRecords { .. }) => {}
            Err(e) => {
                // Ids may name rows of a rolled-back transaction after a lost connection:
                // forget them, the next write looks them up again.
                self.ids.clear();
                tracing::warn!(sink = self.name_str(), error = %e, "A batch was not written.");
            }
            Ok(()) => {}
        }
        result
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        // Every write commits its own transaction.
        if self.closed {
            return Err(SinkError::Closed {
                sink: self.name_str().to_owned(),
            });
        }
        Ok(())
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        self.closed = true;
        Ok(())
    }

    async fn healthcheck(&mut self) -> Result<(), SinkError> {
        self.pool
            .fetch_all("SELECT 1", &[])
            .await
            .map(|_| ())
            .map_err(|e| sink_error(self.name_str(), "healthcheck", e))
    }
}
