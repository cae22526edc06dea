//! [`SqlQuery`]: the read side of a [`SqlStore`](super::SqlStore), implementing [`Store`].

use std::collections::HashMap;

use async_trait::async_trait;
use sparkplug_b::{DataType, Value};

use super::db::{DbRow, Param, Pool};
use super::dialect::placeholders;
use super::error::query_error;
use super::ids::device_col;
use super::value::{Columns, from_columns};
use crate::query::{
    BirthRow, BucketRow, DeviceRow, EventFilter, EventRow, LatestValue, MetricRow, NodeRow, Page,
    QueryError, ReportFilter, ReportRow, SampleRow, Store, TimeRange,
};
use crate::record::Source;

/// Most buckets one bucketed history query may return.
pub(crate) const MAX_BUCKETS: i64 = 100_000;

/// The value columns, in the order [`read_columns`] reads them.
const VALUE_COLS: &str = "datatype, is_null, v_int, v_uint, v_double, v_bool, v_text, v_blob";

/// Reads the store. Made by [`SqlStore::query`](super::SqlStore::query); cheap to clone.
#[derive(Debug, Clone)]
pub struct SqlQuery {
    pool: Pool,
}

type R<T> = Result<T, QueryError>;

fn db(what: &'static str) -> impl FnOnce(sqlx::Error) -> QueryError {
    move |e| query_error(what, e)
}

fn corrupt(what: impl std::fmt::Display) -> QueryError {
    QueryError::Corrupt(what.to_string())
}

fn read_columns(row: &DbRow, at: usize, prefix_cols: &str) -> R<Columns> {
    let err = |e: sqlx::Error| corrupt(format!("{prefix_cols}: {e}"));
    Ok(Columns {
        datatype: row
            .i64(at)
            .map_err(err)?
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0),
        is_null: row.bool(at + 1).map_err(err)?.unwrap_or(false),
        v_int: row.i64(at + 2).map_err(err)?,
        v_uint: row.u64(at + 3).map_err(err)?,
        v_double: row.f64(at + 4).map_err(err)?,
        v_bool: row.bool(at + 5).map_err(err)?,
        v_text: row.text(at + 6).map_err(err)?,
        v_blob: row.bytes(at + 7).map_err(err)?,
    })
}

fn read_value(row: &DbRow, at: usize) -> R<Option<Value>> {
    from_columns(read_columns(row, at, "value")?).map_err(corrupt)
}

fn get_i64(row: &DbRow, idx: usize) -> R<Option<i64>> {
    row.i64(idx).map_err(corrupt)
}

fn get_u64(row: &DbRow, idx: usize) -> R<Option<u64>> {
    row.u64(idx).map_err(corrupt)
}

fn get_text(row: &DbRow, idx: usize) -> R<Option<String>> {
    row.text(idx).map_err(corrupt)
}

fn get_json(row: &DbRow, idx: usize) -> R<serde_json::Value> {
    match get_text(row, idx)? {
        None => Ok(serde_json::Value::Null),
        Some(s) => serde_json::from_str(&s).map_err(|e| corrupt(format!("stored JSON: {e}"))),
    }
}

fn check_range(range: TimeRange) -> R<()> {
    if range.from_ms >= range.to_ms {
        return Err(QueryError::BadRequest(format!(
            "the time range [{}, {}) is empty",
            range.from_ms, range.to_ms
        )));
    }
    Ok(())
}

const NODE_SELECT: &str = "SELECT n.group_id, n.node, n.online, n.bd_seq, n.last_birth_ms, \
     n.last_death_ms, n.seq_gaps, n.births, n.deaths, \
     (SELECT COUNT(*) FROM sink_devices d WHERE d.node_id = n.node_id) FROM sink_nodes n";

fn node_row(row: &DbRow) -> R<NodeRow> {
    Ok(NodeRow {
        group: get_text(row, 0)?.unwrap_or_default(),
        node: get_text(row, 1)?.unwrap_or_default(),
        online: get_i64(row, 2)?.unwrap_or(0) != 0,
        bd_seq: get_u64(row, 3)?,
        last_birth_ms: get_i64(row, 4)?,
        last_death_ms: get_i64(row, 5)?,
        seq_gaps: get_u64(row, 6)?.unwrap_or(0),
        births: get_u64(row, 7)?.unwrap_or(0),
        deaths: get_u64(row, 8)?.unwrap_or(0),
        device_count: get_u64(row, 9)?.unwrap_or(0),
    })
}

/// The catalogue with each metric's latest value: its newest non-historical sample inside the
/// acceptance window (`outside_window = 0`: a sample dated far ahead of its receive time is
/// never current), found by the samples' primary key (`metric_id`, `ts_ms`, `is_historical`)
/// read backwards, past the few flagged rows. The value
/// reads STALE (500) when what sent it went offline after receiving it and has not come back
/// (SPARKPLUG.md 2.5); `state_ms` is the time of that death while `online` is 0, and a node's
/// death also takes its devices offline.
const METRIC_SELECT: &str = "SELECT m.name, m.alias, m.datatype, m.eng_unit, m.properties, \
     c.ts_ms, \
     CASE WHEN (n.online = 0 AND c.received_at_ms <= n.state_ms) \
       OR (d.online = 0 AND c.received_at_ms <= d.state_ms) THEN 500 ELSE c.quality END, \
     c.received_at_ms, \
     c.datatype, c.is_null, c.v_int, c.v_uint, c.v_double, c.v_bool, c.v_text, c.v_blob \
     FROM sink_metrics m JOIN sink_nodes n ON n.node_id = m.node_id \
     LEFT JOIN sink_devices d ON d.node_id = m.node_id AND d.device = m.device \
     LEFT JOIN sink_samples c ON c.metric_id = m.metric_id AND c.is_historical = 0 \
       AND c.ts_ms = (SELECT s.ts_ms FROM sink_samples s \
         WHERE s.metric_id = m.metric_id AND s.is_historical = 0 AND s.outside_window = 0 \
         ORDER BY s.ts_ms DESC LIMIT 1) \
     WHERE n.group_id = ? AND n.node = ? AND m.device = ?";

fn metric_row(row: &DbRow) -> R<MetricRow> {
    let latest = match get_i64(row, 5)? {
        None => None,
        Some(ts) => Some(LatestValue {
            timestamp_ms: ts,
            quality: get_i64(row, 6)?.unwrap_or(192) as i32,
            received_at_ms: get_i64(row, 7)?.unwrap_or(ts),
            value: read_value(row, 8)?,
        }),
    };
    Ok(MetricRow {
        name: get_text(row, 0)?.unwrap_or_default(),
        alias: get_u64(row, 1)?,
        datatype: DataType::from_code(get_i64(row, 2)?.unwrap_or(0) as u32),
        eng_unit: get_text(row, 3)?,
        properties: match get_json(row, 4)? {
            serde_json::Value::Null => None,
            v => Some(v),
        },
        latest,
    })
}

fn source_params(source: &Source) -> Vec<Param> {
    vec![
        Param::Text(source.group.clone()),
        Param::Text(source.node.clone()),
        Param::Text(device_col(source).to_owned()),
    ]
}

/// `LIMIT ? OFFSET ?` of `page` (SQLite and MySQL both take 64-bit integers there).
fn page_params(page: Page) -> [Param; 2] {
    [
        Param::I64(page.limit.into()),
        Param::I64(i64::try_from(page.offset).unwrap_or(i64::MAX)),
    ]
}

impl SqlQuery {
    pub(crate) fn new(pool: Pool) -> Self {
        SqlQuery { pool }
    }

    async fn metric_id(&self, source: &Source, metric: &str) -> R<Option<i64>> {
        let mut params = source_params(source);
        params.push(Param::Text(metric.to_owned()));
        let rows = self
            .pool
            .fetch_all(
                "SELECT m.metric_id FROM sink_metrics m JOIN sink_nodes n ON n.node_id = m.node_id \
                 WHERE n.group_id = ? AND n.node = ? AND m.device = ? AND m.name = ?",
                &params,
            )
            .await
            .map_err(db("looking up a metric"))?;
        match rows.first() {
            Some(row) => get_i64(row, 0),
            None => Ok(None),
        }
    }

    /// The values at the given timestamps of a metric (non-historical preferred).
    async fn values_at(&self, metric_id: i64, ts: &[i64]) -> R<HashMap<i64, Option<Value>>> {
        let mut out: HashMap<i64, (bool, Option<Value>)> = HashMap::new();
        for chunk in ts.chunks(500) {
            let sql = format!(
                "SELECT ts_ms, is_historical, {VALUE_COLS} FROM sink_samples \
                 WHERE metric_id = ? AND ts_ms IN {}",
                placeholders(chunk.len(), 1)
            );
            let mut params = vec![Param::I64(metric_id)];
            params.extend(chunk.iter().map(|t| Param::I64(*t)));
            let rows = self
                .pool
                .fetch_all(&sql, &params)
                .await
                .map_err(db("reading first and last values"))?;
            for row in rows {
                let Some(t) = get_i64(&row, 0)? else { continue };
                let historical = get_i64(&row, 1)?.unwrap_or(0) != 0;
                let value = read_value(&row, 2)?;
                match out.get(&t) {
                    Some((false, _)) => {}
                    _ if historical && out.contains_key(&t) => {}
                    _ => {
                        out.insert(t, (historical, value));
                    }
                }
            }
        }
        Ok(out.into_iter().map(|(t, (_, v))| (t, v)).collect())
    }
}

/// The exact min or max of a bucket, from the per-column aggregates at `at` (int, uint, double,
/// bool), typed as `datatype`.
fn extreme(row: &DbRow, at: usize, datatype: u32) -> R<Option<Value>> {
    let mut c = Columns {
        datatype,
        ..Columns::default()
    };
    if let Some(v) = get_i64(row, at)? {
        c.v_int = Some(v);
    } else if let Some(v) = get_u64(row, at + 1)? {
        c.v_uint = Some(v);
    } else if let Some(v) = row.f64(at + 2).map_err(corrupt)? {
        c.v_double = Some(v);
    } else if let Some(v) = get_i64(row, at + 3)? {
        c.v_bool = Some(v != 0);
    } else {
        return Ok(None);
    }
    // A bucket mixing types (a metric reborn with another type) reads as the value's column.
    match from_columns(c.clone()) {
        Ok(v) => Ok(v),
        Err(_) => Ok(c
            .v_int
            .map(Value::Int64)
            .or(c.v_uint.map(Value::UInt64))
            .or(c.v_double.map(Value::Double))
            .or(c.v_bool.map(Value::Boolean))),
    }
}

#[async_trait]
impl Store for SqlQuery {
    async fn nodes(&self) -> R<Vec<NodeRow>> {
        self.nodes_page(Page::ALL).await
    }

    async fn nodes_page(&self, page: Page) -> R<Vec<NodeRow>> {
        let sql = format!("{NODE_SELECT} ORDER BY n.group_id, n.node LIMIT ? OFFSET ?");
        let rows = self
            .pool
            .fetch_all(&sql, &page_params(page))
            .await
            .map_err(db("listing nodes"))?;
        rows.iter().map(node_row).collect()
    }

    async fn node(&self, group: &str, node: &str) -> R<Option<NodeRow>> {
        let sql = format!("{NODE_SELECT} WHERE n.group_id = ? AND n.node = ?");
        let rows = self
            .pool
            .fetch_all(&sql, &[Param::Text(group.into()), Param::Text(node.into())])
            .await
            .map_err(db("reading a node"))?;
        rows.first().map(node_row).transpose()
    }

    async fn devices(&self, group: &str, node: &str) -> R<Vec<DeviceRow>> {
        self.devices_page(group, node, Page::ALL).await
    }

    async fn devices_page(&self, group: &str, node: &str, page: Page) -> R<Vec<DeviceRow>> {
        let mut params = vec![Param::Text(group.into()), Param::Text(node.into())];
        params.extend(page_params(page));
        let rows = self
            .pool
            .fetch_all(
                "SELECT n.group_id, n.node, d.device, d.online, d.last_birth_ms, d.last_death_ms, \
                 d.births, d.deaths FROM sink_devices d JOIN sink_nodes n ON n.node_id = d.node_id \
                 WHERE n.group_id = ? AND n.node = ? ORDER BY d.device LIMIT ? OFFSET ?",
                &params,
            )
            .await
            .map_err(db("listing devices"))?;
        rows.iter()
            .map(|row| {
                Ok(DeviceRow {
                    group: get_text(row, 0)?.unwrap_or_default(),
                    node: get_text(row, 1)?.unwrap_or_default(),
                    device: get_text(row, 2)?.unwrap_or_default(),
                    online: get_i64(row, 3)?.unwrap_or(0) != 0,
                    last_birth_ms: get_i64(row, 4)?,
                    last_death_ms: get_i64(row, 5)?,
                    births: get_u64(row, 6)?.unwrap_or(0),
                    deaths: get_u64(row, 7)?.unwrap_or(0),
                })
            })
            .collect()
    }

    async fn metrics(&self, source: &Source) -> R<Vec<MetricRow>> {
        self.metrics_page(source, Page::ALL).await
    }

    async fn metrics_page(&self, source: &Source, page: Page) -> R<Vec<MetricRow>> {
        let sql = format!("{METRIC_SELECT} ORDER BY m.name LIMIT ? OFFSET ?");
        let mut params = source_params(source);
        params.extend(page_params(page));
        let rows = self
            .pool
            .fetch_all(&sql, &params)
            .await
            .map_err(db("listing metrics"))?;
        rows.iter().map(metric_row).collect()
    }

    async fn metric(&self, source: &Source, metric: &str) -> R<Option<MetricRow>> {
        let sql = format!("{METRIC_SELECT} AND m.name = ?");
        let mut params = source_params(source);
        params.push(Param::Text(metric.to_owned()));
        let rows = self
            .pool
            .fetch_all(&sql, &params)
            .await
            .map_err(db("reading a metric"))?;
        rows.first().map(metric_row).transpose()
    }

    async fn history(
        &self,
        source: &Source,
        metric: &str,
        range: TimeRange,
        limit: u32,
    ) -> R<Vec<SampleRow>> {
        check_range(range)?;
        let Some(id) = self.metric_id(source, metric).await? else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT ts_ms, is_historical, quality, seq, bd_seq, received_at_ms, outside_window, \
             {VALUE_COLS} \
             FROM sink_samples WHERE metric_id = ? AND ts_ms >= ? AND ts_ms < ? \
             ORDER BY ts_ms, is_historical LIMIT ?"
        );
        let rows = self
            .pool
            .fetch_all(
                &sql,
                &[
                    Param::I64(id),
                    Param::I64(range.from_ms),
                    Param::I64(range.to_ms),
                    Param::I64(limit.into()),
                ],
            )
            .await
            .map_err(db("reading history"))?;
        rows.iter()
            .map(|row| {
                Ok(SampleRow {
                    timestamp_ms: get_i64(row, 0)?.unwrap_or(0),
                    is_historical: get_i64(row, 1)?.unwrap_or(0) != 0,
                    quality: get_i64(row, 2)?.unwrap_or(192) as i32,
                    seq: get_i64(row, 3)?.and_then(|s| u8::try_from(s).ok()),
                    bd_seq: get_u64(row, 4)?,
                    received_at_ms: get_i64(row, 5)?.unwrap_or(0),
                    outside_window: get_i64(row, 6)?.unwrap_or(0) != 0,
                    value: read_value(row, 7)?,
                })
            })
            .collect()
    }

    async fn history_buckets(
        &self,
        source: &Source,
        metric: &str,
        range: TimeRange,
        bucket_ms: i64,
    ) -> R<Vec<BucketRow>> {
        check_range(range)?;
        if bucket_ms <= 0 {
            return Err(QueryError::BadRequest(format!(
                "the bucket must be at least 1 ms, not {bucket_ms}"
            )));
        }
        let span = i128::from(range.to_ms) - i128::from(range.from_ms);
        if span > i128::from(i64::MAX) {
            return Err(QueryError::BadRequest(
                "the time range is too long for buckets".to_owned(),
            ));
        }
        let buckets = (span + i128::from(bucket_ms) - 1) / i128::from(bucket_ms);
        if buckets > i128::from(MAX_BUCKETS) {
            return Err(QueryError::BadRequest(format!(
                "{buckets} buckets asked for; at most {MAX_BUCKETS}"
            )));
        }
        let Some(id) = self.metric_id(source, metric).await? else {
            return Ok(Vec::new());
        };
        let dialect = self.pool.dialect();
        let bucket = dialect.int_div("ts_ms - ?", "?");
        let sql = format!(
            "SELECT b, COUNT(*), MIN(v_int), MIN(v_uint), MIN(v_double), MIN(v_bool), \
             MAX(v_int), MAX(v_uint), MAX(v_double), MAX(v_bool), \
             AVG(COALESCE(v_double, v_int, v_uint, v_bool)), MIN(ts_ms), MAX(ts_ms), MAX(datatype) \
             FROM (SELECT {bucket} AS b, ts_ms, datatype, v_int, v_uint, v_double, v_bool \
             FROM sink_samples WHERE metric_id = ? AND ts_ms >= ? AND ts_ms < ?) s \
             GROUP BY b ORDER BY b"
        );
        let rows = self
            .pool
            .fetch_all(
                &sql,
                &[
                    Param::I64(range.from_ms),
                    Param::I64(bucket_ms),
                    Param::I64(id),
                    Param::I64(range.from_ms),
                    Param::I64(range.to_ms),
                ],
            )
            .await
            .map_err(db("aggregating history"))?;
        let mut out = Vec::with_capacity(rows.len());
        let mut edges = Vec::with_capacity(rows.len() * 2);
        for row in &rows {
            let b = get_i64(row, 0)?.unwrap_or(0);
            let datatype = get_i64(row, 13)?.unwrap_or(0) as u32;
            let first_ts = get_i64(row, 11)?.unwrap_or(0);
            let last_ts = get_i64(row, 12)?.unwrap_or(0);
            edges.push(first_ts);
            edges.push(last_ts);
            out.push((
                first_ts,
                last_ts,
                BucketRow {
                    start_ms: range.from_ms + b * bucket_ms,
                    count: get_u64(row, 1)?.unwrap_or(0),
                    min: extreme(row, 2, datatype)?,
                    max: extreme(row, 6, datatype)?,
                    avg: row.f64(10).map_err(corrupt)?,
                    first: None,
                    last: None,
                },
            ));
        }
        edges.sort_unstable();
        edges.dedup();
        let values = self.values_at(id, &edges).await?;
        Ok(out
            .into_iter()
            .map(|(first_ts, last_ts, mut row)| {
                row.first = values.get(&first_ts).cloned().flatten();
                row.last = values.get(&last_ts).cloned().flatten();
                row
            })
            .collect())
    }

    async fn events(&self, filter: &EventFilter) -> R<Vec<EventRow>> {
        let mut sql =
            "SELECT event_id, kind, group_id, node, device, bd_seq, timestamp_ms, detail \
                       FROM sink_events WHERE 1 = 1"
                .to_owned();
        let mut params = Vec::new();
        if let Some(kind) = &filter.kind {
            sql.push_str(" AND kind = ?");
            params.push(Param::Text(kind.clone()));
        }
        if let Some(group) = &filter.group {
            sql.push_str(" AND group_id = ?");
            params.push(Param::Text(group.clone()));
        }
        if let Some(node) = &filter.node {
            sql.push_str(" AND node = ?");
            params.push(Param::Text(node.clone()));
        }
        if let Some(range) = filter.range {
            check_range(range)?;
            sql.push_str(" AND timestamp_ms >= ? AND timestamp_ms < ?");
            params.push(Param::I64(range.from_ms));
            params.push(Param::I64(range.to_ms));
        }
        sql.push_str(" ORDER BY timestamp_ms DESC, event_id DESC LIMIT ? OFFSET ?");
        params.extend(page_params(Page::new(
            filter.offset.unwrap_or(0),
            filter.limit.unwrap_or(1000),
        )));
        let rows = self
            .pool
            .fetch_all(&sql, &params)
            .await
            .map_err(db("listing events"))?;
        rows.iter()
            .map(|row| {
                Ok(EventRow {
                    id: get_i64(row, 0)?.unwrap_or(0),
                    kind: get_text(row, 1)?.unwrap_or_default(),
                    group: get_text(row, 2)?,
                    node: get_text(row, 3)?,
                    device: get_text(row, 4)?,
                    bd_seq: get_u64(row, 5)?,
                    timestamp_ms: get_i64(row, 6)?.unwrap_or(0),
                    detail: get_json(row, 7)?,
                })
            })
            .collect()
    }

    async fn births(&self, source: &Source, limit: u32) -> R<Vec<BirthRow>> {
        self.births_page(source, Page::new(0, limit)).await
    }

    async fn births_page(&self, source: &Source, page: Page) -> R<Vec<BirthRow>> {
        let mut params = source_params(source);
        params.extend(page_params(page));
        let rows = self
            .pool
            .fetch_all(
                "SELECT b.birth_id, b.bd_seq, b.timestamp_ms, b.received_at_ms, b.certificate \
                 FROM sink_births b JOIN sink_nodes n ON n.node_id = b.node_id \
                 WHERE n.group_id = ? AND n.node = ? AND b.device = ? \
                 ORDER BY b.birth_id DESC LIMIT ? OFFSET ?",
                &params,
            )
            .await
            .map_err(db("listing births"))?;
        rows.iter()
            .map(|row| {
                Ok(BirthRow {
                    id: get_i64(row, 0)?.unwrap_or(0),
                    bd_seq: get_u64(row, 1)?,
                    timestamp_ms: get_i64(row, 2)?.unwrap_or(0),
                    received_at_ms: get_i64(row, 3)?.unwrap_or(0),
                    metrics: get_json(row, 4)?,
                })
            })
            .collect()
    }

    async fn upsert_report_rows(&self, rows: &[ReportRow]) -> R<u64> {
        for r in rows {
            if r.job.is_empty() || r.job.chars().count() > 128 || r.key.chars().count() > 512 {
                return Err(QueryError::BadRequest(format!(
                    "report job names are 1 to 128 characters and keys up to 512 ({:?}, {:?})",
                    r.job, r.key
                )));
            }
        }
        let cols = [
            "job",
            "report_key",
            "window_start_ms",
            "window_end_ms",
            "fields",
            "updated_at_ms",
        ];
        let dialect = self.pool.dialect();
        let now = super::now_ms();
        let mut tx = self.pool.begin().await.map_err(db("writing report rows"))?;
        for chunk in rows.chunks(500) {
            let sql = format!(
                "INSERT INTO sink_report_rows ({}) VALUES {}{}",
                cols.join(", "),
                placeholders(cols.len(), chunk.len()),
                dialect.upsert(
                    "sink_report_rows",
                    "job, report_key, window_start_ms",
                    &cols[3..],
                    None
                )
            );
            let mut params = Vec::with_capacity(chunk.len() * cols.len());
            for r in chunk {
                params.push(Param::Text(r.job.clone()));
                params.push(Param::Text(r.key.clone()));
                params.push(Param::I64(r.window_start_ms));
                params.push(Param::I64(r.window_end_ms));
                params.push(Param::Text(r.fields.to_string()));
                params.push(Param::I64(now));
            }
            tx.execute(&sql, &params)
                .await
                .map_err(db("writing report rows"))?;
        }
        tx.commit().await.map_err(db("committing report rows"))?;
        Ok(rows.len() as u64)
    }

    async fn report_rows(&self, filter: &ReportFilter) -> R<Vec<ReportRow>> {
        let mut sql = "SELECT job, report_key, window_start_ms, window_end_ms, fields \
                       FROM sink_report_rows WHERE job = ?"
            .to_owned();
        let mut params = vec![Param::Text(filter.job.clone())];
        if let Some(key) = &filter.key {
            sql.push_str(" AND report_key = ?");
            params.push(Param::Text(key.clone()));
        }
        if let Some(range) = filter.range {
            check_range(range)?;
            sql.push_str(" AND window_start_ms >= ? AND window_start_ms < ?");
            params.push(Param::I64(range.from_ms));
            params.push(Param::I64(range.to_ms));
        }
        sql.push_str(" ORDER BY window_start_ms, report_key LIMIT ? OFFSET ?");
        params.extend(page_params(Page::new(
            filter.offset.unwrap_or(0),
            filter.limit.unwrap_or(10_000),
        )));
        let rows = self
            .pool
            .fetch_all(&sql, &params)
            .await
            .map_err(db("listing report rows"))?;
        rows.iter()
            .map(|row| {
                Ok(ReportRow {
                    job: get_text(row, 0)?.unwrap_or_default(),
                    key: get_text(row, 1)?.unwrap_or_default(),
                    window_start_ms: get_i64(row, 2)?.unwrap_or(0),
                    window_end_ms: get_i64(row, 3)?.unwrap_or(0),
                    fields: get_json(row, 4)?,
                })
            })
            .collect()
    }

    async fn watermark(&self, job: &str) -> R<Option<i64>> {
        let rows = self
            .pool
            .fetch_all(
                "SELECT watermark_ms FROM sink_watermarks WHERE job = ?",
                &[Param::Text(job.to_owned())],
            )
            .await
            .map_err(db("reading a watermark"))?;
        match rows.first() {
            Some(row) => get_i64(row, 0),
            None => Ok(None),
        }
    }

    async fn set_watermark(&self, job: &str, watermark_ms: i64) -> R<()> {
        if job.is_empty() || job.chars().count() > 128 {
            return Err(QueryError::BadRequest(format!(
                "report job names are 1 to 128 characters ({job:?})"
            )));
        }
        let sql = format!(
            "INSERT INTO sink_watermarks (job, watermark_ms, updated_at_ms) VALUES (?, ?, ?){}",
            self.pool.dialect().upsert(
                "sink_watermarks",
                "job",
                &["watermark_ms", "updated_at_ms"],
                None
            )
        );
        self.pool
            .execute(
                &sql,
                &[
                    Param::Text(job.to_owned()),
                    Param::I64(watermark_ms),
                    Param::I64(super::now_ms()),
                ],
            )
            .await
            .map_err(db("setting a watermark"))?;
        Ok(())
    }
}
