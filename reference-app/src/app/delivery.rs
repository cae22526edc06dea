//! The app's sinks behind spark-sink's delivery pipeline: the SQL store and, unless turned off,
//! the Parquet archive, each with its own queue and a spill file in `<data_dir>/spill`, so a
//! store that goes away loses nothing while the spill has room. Records a sink can never
//! write go to its dead-letter file, `<data_dir>/dead-letter/<sink>.deadletter.jsonl`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use spark_sink::delivery::{DeliveryConfig, Pipeline, SinkStats, StatsReader};
use spark_sink::parquet::{ParquetConfig, ParquetSink};
use spark_sink::sql::SqlStore;
use spark_sink::{Batch, Sink};
use tokio::task::JoinHandle;

use super::ingest::Deliver;
use crate::config::AppConfig;
use crate::telemetry::{SinkGauge, Telemetry};

/// The most a sink's spill file may hold before the newest batches are dropped (and counted).
const SPILL_MAX_BYTES: u64 = 4 << 30;

/// The most a sink's dead-letter file may hold; a rejected record beyond it is only counted
/// and logged.
const DEAD_LETTER_MAX_BYTES: u64 = 256 << 20;

/// The running delivery layer.
pub(crate) struct Delivery {
    pipeline: Arc<Pipeline>,
    gauges: JoinHandle<()>,
}

/// What the ingest loop holds: submits batches to every sink without waiting.
pub(crate) struct Sender {
    pipeline: Arc<Pipeline>,
}

impl Deliver for Sender {
    async fn deliver(&mut self, batch: Batch) {
        if let Err(e) = self.pipeline.submit(batch) {
            tracing::warn!(error = %e, "A batch arrived after the sinks closed.");
        }
    }
}

fn gauges(stats: Vec<SinkStats>) -> Vec<SinkGauge> {
    stats
        .into_iter()
        .map(|s| SinkGauge {
            name: s.sink,
            rows_written: s.records_written,
            retries: s.retries,
            spilled_rows: s.spill_records,
            spill_bytes: s.spill_bytes,
            dropped_rows: s.dropped_records,
            rejected_rows: s.rejected_records,
            quarantined_rows: s.quarantined_records,
            dead_letter_file: s.dead_letter_file,
            lag_ms: s.lag_ms,
            healthy: !s.sink_down,
        })
        .collect()
}

impl Delivery {
    /// Opens the sinks and starts a lane per sink.
    pub(crate) async fn start(
        config: &AppConfig,
        store: &SqlStore,
        telemetry: &Arc<Telemetry>,
    ) -> Result<Self> {
        let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(store.sink())];
        if config.storage.parquet {
            let dir = config.storage.parquet_dir();
            let parquet = ParquetSink::new(ParquetConfig::new(&dir))
                .with_context(|| format!("cannot open the Parquet archive in {}", dir.display()))?;
            sinks.push(Box::new(parquet));
        }
        let delivery = DeliveryConfig::default()
            .with_spill(config.storage.spill_dir(), SPILL_MAX_BYTES)
            .with_dead_letter(
                config.storage.data_dir.join("dead-letter"),
                DEAD_LETTER_MAX_BYTES,
            )
            .with_flush_interval(Some(Duration::from_secs(30)))
            .with_stall_timeout(Duration::from_millis(
                config.storage.stall_timeout_ms.max(1),
            ));
        let pipeline =
            Arc::new(Pipeline::new(delivery, sinks).context("cannot start the delivery pipeline")?);
        let reader: StatsReader = pipeline.stats_reader();
        let t = Arc::clone(telemetry);
        let gauges_task = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                every.tick().await;
                t.set_sinks(gauges(reader.snapshot()));
            }
        });
        Ok(Delivery {
            pipeline,
            gauges: gauges_task,
        })
    }

    /// A handle for the ingest loop.
    pub(crate) fn sender(&self) -> Sender {
        Sender {
            pipeline: Arc::clone(&self.pipeline),
        }
    }

    /// Writes what every sink still holds, then flushes and closes them. Call after the ingest
    /// loop ended (it holds the other reference to the pipeline).
    pub(crate) async fn shutdown(self, telemetry: &Telemetry) {
        self.gauges.abort();
        match Arc::try_unwrap(self.pipeline) {
            Ok(pipeline) => {
                let report = pipeline.shutdown().await;
                for (sink, error) in &report.errors {
                    tracing::error!(%sink, %error, "A sink did not close cleanly.");
                }
                telemetry.set_sinks(gauges(report.stats));
            }
            Err(_) => {
                tracing::error!("The sinks were not closed: the ingest loop still holds them.")
            }
        }
    }
}
