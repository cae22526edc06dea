//! Records per second through the delivery pipeline into sinks that do nothing: the cost of
//! queueing, batching, fan-out and counting, without any store behind it.
//!
//! ```sh
//! cargo bench -p spark-sink --bench delivery_overhead             # 2 M samples, 1 and 3 sinks
//! cargo bench -p spark-sink --bench delivery_overhead -- 5000000
//! ```
//!
//! The host side submits batches of 100 samples (about one Sparkplug message's worth); the
//! clock runs from the first submit to the end of `shutdown` (every record written, every
//! sink flushed and closed). The queue is large enough that nothing is dropped (checked).

#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark binary reports on stdout

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use spark_sink::delivery::{DeliveryConfig, Pipeline};
use spark_sink::{Batch, Record, Sample, Sink, SinkError, Source};
use sparkplug_b::{Quality, Value};

/// Counts what it is given.
struct NullSink {
    name: String,
    records: Arc<AtomicU64>,
}

#[async_trait]
impl Sink for NullSink {
    fn name(&self) -> &str {
        &self.name
    }
    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        self.records
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
    async fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
    async fn close(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
    async fn healthcheck(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

fn batch(source: &Arc<Source>, names: &[Arc<str>], i: usize) -> Batch {
    (0..100)
        .map(|j| {
            Record::Sample(Sample {
                source: Arc::clone(source),
                metric: Arc::clone(&names[j % names.len()]),
                datatype: sparkplug_b::DataType::Double,
                timestamp_ms: (i * 100 + j) as i64,
                value: Some(Value::Double(j as f64)),
                is_historical: false,
                quality: Quality::Good,
                seq: Some(0),
                bd_seq: Some(0),
                received_at_ms: 0,
                outside_window: false,
            })
        })
        .collect()
}

async fn run(total: usize, sinks: usize) {
    let counters: Vec<Arc<AtomicU64>> = (0..sinks).map(|_| Arc::default()).collect();
    let list: Vec<Box<dyn Sink>> = counters
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Box::new(NullSink {
                name: format!("null{i}"),
                records: Arc::clone(c),
            }) as Box<dyn Sink>
        })
        .collect();
    let config = DeliveryConfig::default().with_queue_records(total);
    let pipeline = Pipeline::new(config, list).unwrap();
    let source = Arc::new(Source::node("G", "N"));
    let names: Vec<Arc<str>> = (0..70).map(|m| Arc::from(format!("metric{m}"))).collect();
    // Built before the clock starts.
    let batches: Vec<Batch> = (0..total / 100)
        .map(|i| batch(&source, &names, i))
        .collect();
    let start = Instant::now();
    for b in batches {
        pipeline.submit(b).unwrap();
    }
    let report = pipeline.shutdown().await;
    let elapsed = start.elapsed();
    for (s, c) in report.stats.iter().zip(&counters) {
        assert_eq!(s.dropped_records, 0);
        assert_eq!(c.load(Ordering::Relaxed), total as u64);
    }
    println!(
        "delivery_overhead: {total} samples to {sinks} sink(s) in {:.3} s: {:.2} M samples/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64() / 1e6
    );
}

fn main() {
    let total: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(total, 1));
    runtime.block_on(run(total, 3));
}
