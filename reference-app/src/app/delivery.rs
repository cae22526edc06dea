//! The sinks of the app behind the delivery layer. (Interim: one task per sink, replaced by
//! spark-sink's delivery pipeline.)

use std::sync::Arc;

use anyhow::Result;
use spark_sink::parquet::{ParquetConfig, ParquetSink};
use spark_sink::sql::SqlStore;
use spark_sink::{Batch, Sink};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::ingest::Deliver;
use crate::config::AppConfig;
use crate::telemetry::{SinkGauge, Telemetry};

pub(crate) struct Delivery {
    senders: Vec<mpsc::Sender<Arc<Batch>>>,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Clone)]
pub(crate) struct Sender {
    senders: Vec<mpsc::Sender<Arc<Batch>>>,
}

impl Deliver for Sender {
    async fn deliver(&mut self, batch: Batch) {
        let batch = Arc::new(batch);
        for s in &self.senders {
            let _ = s.send(Arc::clone(&batch)).await;
        }
    }
}

impl Delivery {
    pub(crate) async fn start(
        config: &AppConfig,
        store: &SqlStore,
        telemetry: &Arc<Telemetry>,
    ) -> Result<Self> {
        let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(store.sink())];
        if config.storage.parquet {
            sinks.push(Box::new(ParquetSink::new(ParquetConfig::new(
                config.storage.parquet_dir(),
            ))?));
        }
        let mut senders = Vec::new();
        let mut tasks = Vec::new();
        for (i, mut sink) in sinks.into_iter().enumerate() {
            let (tx, mut rx) = mpsc::channel::<Arc<Batch>>(64);
            let t = Arc::clone(telemetry);
            tasks.push(tokio::spawn(async move {
                let mut rows = 0u64;
                while let Some(batch) = rx.recv().await {
                    if let Err(e) = sink.write(&batch).await {
                        tracing::error!(error = %e, "write failed");
                    } else {
                        rows += batch.len() as u64;
                    }
                    let mut all = t.sinks();
                    all.resize(all.len().max(i + 1), SinkGauge::default());
                    all[i] = SinkGauge {
                        name: sink.name().to_owned(),
                        rows_written: rows,
                        healthy: true,
                        ..SinkGauge::default()
                    };
                    t.set_sinks(all);
                }
                let _ = sink.close().await;
            }));
            senders.push(tx);
        }
        Ok(Delivery { senders, tasks })
    }

    pub(crate) fn sender(&self) -> Sender {
        Sender {
            senders: self.senders.clone(),
        }
    }

    pub(crate) async fn shutdown(self, _telemetry: &Telemetry) {
        drop(self.senders);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
