//! Samples per second into the Parquet archive, and the peak memory it takes.
//!
//! ```sh
//! cargo bench -p spark-sink --bench parquet_throughput            # 5 M samples
//! cargo bench -p spark-sink --bench parquet_throughput -- 20000000 # another count
//! ```
//!
//! The samples look like the ice plant's: 8 edge nodes of one group, 70 metrics each with
//! names like `Compressor3/DischargePressure`, mostly doubles with some booleans and integers,
//! one value per metric per second. They are built before the clock starts; the clock covers
//! `ParquetWriter::write` of every batch (10 000 samples each) and the final `close` (footer,
//! fsync, rename). Peak memory is the process's peak resident set (`VmHWM`) minus the resident
//! set before writing (the prepared samples), read from `/proc/self/status` (Linux).

#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark binary reports on stdout

use std::sync::Arc;
use std::time::Instant;

use spark_sink::parquet::{ParquetConfig, ParquetWriter};
use spark_sink::{Batch, Record, Sample, Source};
use sparkplug_b::{DataType, Quality, Value};

const NODES: usize = 8;
const METRICS: usize = 70;
const BATCH: usize = 10_000;
/// Distinct batches prepared; the run cycles through them.
const PREPARED: usize = 100;

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn prepare() -> Vec<Batch> {
    let t0: i64 = 1_700_000_000_000;
    let sources: Vec<Arc<Source>> = (0..NODES)
        .map(|n| Arc::new(Source::node("IcePlant", format!("Node{n}"))))
        .collect();
    let names: Vec<Arc<str>> = (0..METRICS)
        .map(|m| {
            let kinds = [
                "DischargePressure",
                "SuctionTemp",
                "Running",
                "Current",
                "Level",
            ];
            Arc::from(format!("Compressor{}/{}", m / 5, kinds[m % 5]))
        })
        .collect();
    let mut i: usize = 0;
    (0..PREPARED)
        .map(|_| {
            (0..BATCH)
                .map(|_| {
                    let node = (i / METRICS) % NODES;
                    let metric = i % METRICS;
                    let second = (i / (METRICS * NODES)) as i64;
                    let value = match metric % 5 {
                        2 => Value::Boolean(second % 7 != 0),
                        4 => Value::Int32((second % 1000) as i32),
                        _ => Value::Double(20.0 + ((i as f64) * 0.001).sin() * 5.0),
                    };
                    i += 1;
                    Record::Sample(Sample {
                        source: Arc::clone(&sources[node]),
                        metric: Arc::clone(&names[metric]),
                        datatype: value.data_type(),
                        timestamp_ms: t0 + second * 1000,
                        value: Some(value),
                        is_historical: false,
                        quality: Quality::Good,
                        seq: Some((i % 256) as u8),
                        bd_seq: Some(1),
                        received_at_ms: t0 + second * 1000 + 3,
                        outside_window: false,
                    })
                })
                .collect()
        })
        .collect()
}

fn main() {
    let total: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);
    let batches = prepare();
    let _ = DataType::Double;
    let dir = std::env::temp_dir().join(format!("spark-sink-bench-{}", std::process::id()));
    let mut writer = ParquetWriter::new(ParquetConfig::new(&dir)).unwrap();
    let rss_before = status_kb("VmRSS:").unwrap_or(0);
    let start = Instant::now();
    let mut written = 0;
    let mut k = 0;
    while written < total {
        let batch = &batches[k % PREPARED];
        writer.write(batch).unwrap();
        written += batch.len();
        k += 1;
    }
    let files = writer.close().unwrap();
    let elapsed = start.elapsed();
    let peak = status_kb("VmHWM:").unwrap_or(0);
    let bytes: u64 = files.iter().map(|f| f.bytes).sum();
    let rate = written as f64 / elapsed.as_secs_f64();
    println!(
        "parquet_throughput: {written} samples in {:.3} s",
        elapsed.as_secs_f64()
    );
    println!("  {:.2} M samples/s", rate / 1e6);
    println!(
        "  {} files, {:.1} MiB, {:.2} bytes/sample (zstd level 1)",
        files.len(),
        bytes as f64 / 1048576.0,
        bytes as f64 / written as f64
    );
    println!(
        "  peak RSS {:.1} MiB; {:.1} MiB above the {:.1} MiB of prepared samples",
        peak as f64 / 1024.0,
        peak.saturating_sub(rss_before) as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
    std::fs::remove_dir_all(&dir).ok();
}
