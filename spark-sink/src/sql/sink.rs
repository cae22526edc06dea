//! [`SqlSink`]: the write side of a [`SqlStore`](super::SqlStore), implementing [`Sink`].

use async_trait::async_trait;

use super::db::Pool;
use super::dialect::Dialect;
use super::error::sink_error;
use super::ids::IdCache;
use super::samples::{self, Statements};
use super::stats::SinkStats;
use super::{SqlOptions, meta};
use crate::error::SinkError;
use crate::record::{Batch, Source};
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
        let rows = samples::prepare(
            batch.samples(),
            self.options.max_value_bytes,
            self.options.expand_templates,
            &mut self.stats,
        );
        let births: Vec<_> = batch
            .births()
            .filter(|b| {
                let fits = super::source_fits(&b.source);
                if !fits {
                    self.stats.reject("source_id_too_long");
                }
                fits
            })
            .collect();
        let events: Vec<_> = batch
            .events()
            .filter(|e| {
                let fits = e.source.as_deref().is_none_or(super::source_fits);
                if !fits {
                    self.stats.reject("source_id_too_long");
                }
                fits
            })
            .collect();

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
        if let Err(e) = &result {
            // Ids may name rows of a rolled-back transaction after a lost connection: forget
            // them, the next write looks them up again.
            self.ids.clear();
            tracing::warn!(sink = self.name_str(), error = %e, "A batch was not written.");
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
