//! The rollup job: count, min, max, avg, first and last of every numeric metric per window.

use serde_json::json;
use spark_sink::{QueryError, ReportRow, Store, TimeRange};
use sparkplug_b::DataType;

use super::sources;
use crate::config::JobConfig;

/// Whether rollups of a metric of this type mean something.
fn numeric(datatype: DataType) -> bool {
    matches!(
        datatype,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float
            | DataType::Double
            | DataType::Boolean
    )
}

/// The rows of one window: one per metric with samples in it, keyed `group/node[/device]:metric`.
pub(super) async fn window(
    store: &dyn Store,
    job: &JobConfig,
    window: TimeRange,
) -> Result<Vec<ReportRow>, QueryError> {
    let mut rows = Vec::new();
    let length = window.to_ms - window.from_ms;
    for source in sources(store).await? {
        for metric in store.metrics(&source).await? {
            if !numeric(metric.datatype) {
                continue;
            }
            if !job.metrics.is_empty()
                && !job.metrics.iter().any(|m| metric.name.contains(m.as_str()))
            {
                continue;
            }
            let buckets = store
                .history_buckets(&source, &metric.name, window, length)
                .await?;
            let Some(b) = buckets.into_iter().next() else {
                continue;
            };
            rows.push(ReportRow {
                job: job.name.clone(),
                key: format!("{source}:{}", metric.name),
                window_start_ms: window.from_ms,
                window_end_ms: window.to_ms,
                fields: json!({
                    "count": b.count,
                    "min": b.min,
                    "max": b.max,
                    "avg": b.avg,
                    "first": b.first,
                    "last": b.last,
                }),
            });
        }
    }
    Ok(rows)
}
