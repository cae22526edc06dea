//! Samples: checked and turned into rows (template members expanded into their own metrics),
//! then written with multi-row inserts that ignore duplicate keys, in key order, split over
//! several connections that write at the same time.

use std::collections::HashMap;
use std::sync::Arc;

use sparkplug_b::{DataType, Value};

use super::db::{Param, Pool};
use super::dialect::{Dialect, placeholders};
use super::ids::IdCache;
use super::stats::SinkStats;
use super::value::{Columns, Reject, to_columns};
use crate::error::RejectedRecord;
use crate::record::{Sample, Source};

/// The columns of `sink_samples`, in insert order.
pub(crate) const SAMPLE_COLUMNS: &[&str] = &[
    "metric_id",
    "ts_ms",
    "is_historical",
    "datatype",
    "is_null",
    "v_int",
    "v_uint",
    "v_double",
    "v_bool",
    "v_text",
    "v_blob",
    "quality",
    "seq",
    "bd_seq",
    "received_at_ms",
    "outside_window",
];

/// Longest metric name, in characters (the catalogue's key column).
pub(crate) const MAX_NAME_CHARS: usize = 512;

/// A sample ready to write.
#[derive(Debug)]
pub(crate) struct Row<'a> {
    pub(crate) source: &'a Source,
    pub(crate) metric: Arc<str>,
    pub(crate) declared: DataType,
    pub(crate) ts_ms: i64,
    pub(crate) is_historical: bool,
    pub(crate) cols: Columns,
    pub(crate) quality: i32,
    pub(crate) seq: Option<u8>,
    pub(crate) bd_seq: Option<u64>,
    pub(crate) received_at_ms: i64,
    pub(crate) outside_window: bool,
}

/// Turns samples, each with its index in the batch, into rows. A sample that cannot be stored
/// is counted in `stats` and named in `rejected`, with the reason. A template instance also
/// gives one row per member metric, named `parent/member`; a member that cannot be stored is
/// counted and left out (the instance itself is stored whole).
pub(crate) fn prepare<'a>(
    samples: impl Iterator<Item = (usize, &'a Sample)>,
    max_value_bytes: usize,
    expand_templates: bool,
    stats: &mut SinkStats,
    rejected: &mut Vec<RejectedRecord>,
) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for (index, s) in samples {
        if !super::source_fits(&s.source) {
            stats.reject("source_id_too_long");
            rejected.push(RejectedRecord {
                index,
                reason: super::source_too_long(&s.source),
            });
            continue;
        }
        if let Err((name, reason)) = push_row(
            &mut rows,
            s,
            s.metric.clone(),
            s.datatype,
            s.timestamp_ms,
            s.value.as_ref(),
            max_value_bytes,
            expand_templates,
            stats,
        ) {
            stats.reject(name);
            rejected.push(RejectedRecord {
                index,
                reason: format!("{} {}: {reason}", s.source, super::shorten(&s.metric)),
            });
        }
    }
    rows
}

#[allow(clippy::too_many_arguments)]
fn push_row<'a>(
    rows: &mut Vec<Row<'a>>,
    s: &'a Sample,
    metric: Arc<str>,
    declared: DataType,
    ts_ms: i64,
    value: Option<&Value>,
    max_value_bytes: usize,
    expand_templates: bool,
    stats: &mut SinkStats,
) -> Result<(), (&'static str, String)> {
    if metric.chars().count() > MAX_NAME_CHARS {
        return Err((
            "name_too_long",
            format!("the metric name is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    match to_columns(declared, value, max_value_bytes) {
        Ok(cols) => rows.push(Row {
            source: &s.source,
            metric: metric.clone(),
            declared,
            ts_ms,
            is_historical: s.is_historical,
            cols,
            quality: s.quality.code(),
            seq: s.seq,
            bd_seq: s.bd_seq,
            received_at_ms: s.received_at_ms,
            outside_window: s.outside_window,
        }),
        Err(reject) => {
            let reason = match reject {
                Reject::TooLarge => format!("the value is larger than {max_value_bytes} bytes"),
                Reject::Unencodable => "the value has no Sparkplug encoding".to_owned(),
            };
            return Err((reject.name(), reason));
        }
    }
    if let (true, Some(Value::Template(t))) = (expand_templates, value) {
        if t.is_definition == Some(true) {
            return Ok(());
        }
        for member in &t.metrics {
            let Some(name) = &member.name else { continue };
            let path: Arc<str> = Arc::from(format!("{metric}/{name}"));
            let dt = member
                .datatype
                .or_else(|| member.value.as_ref().map(Value::data_type))
                .unwrap_or(DataType::Unknown);
            let ts = member
                .timestamp
                .and_then(|t| i64::try_from(t).ok())
                .unwrap_or(ts_ms);
            let value = if member.is_null {
                None
            } else {
                member.value.as_ref()
            };
            if let Err((name, _)) = push_row(
                rows,
                s,
                path,
                dt,
                ts,
                value,
                max_value_bytes,
                expand_templates,
                stats,
            ) {
                // A member is a copy of part of the instance, which is stored whole.
                stats.reject(name);
            }
        }
    }
    Ok(())
}

fn value_params(c: &Columns, out: &mut Vec<Param>) {
    out.push(Param::I64(c.datatype.into()));
    out.push(Param::I64(c.is_null.into()));
    out.push(Param::opt(c.v_int, Param::I64));
    out.push(Param::opt(c.v_uint, Param::U64));
    out.push(Param::opt(c.v_double, Param::F64));
    out.push(Param::opt(c.v_bool, |b| Param::I64(b.into())));
    out.push(Param::opt(c.v_text.clone(), Param::Text));
    out.push(Param::opt(c.v_blob.clone(), Param::Bytes));
}

/// Statement texts by row count, built once per sink.
#[derive(Debug, Default)]
pub(crate) struct Statements {
    samples: HashMap<usize, String>,
}

impl Statements {
    /// Builds the texts a plan needs that are not there yet.
    fn prepare(&mut self, dialect: Dialect, plan: &[usize]) {
        for &rows in plan {
            self.samples.entry(rows).or_insert_with(|| {
                format!(
                    "INSERT INTO sink_samples ({}) VALUES {}{}",
                    SAMPLE_COLUMNS.join(", "),
                    placeholders(SAMPLE_COLUMNS.len(), rows),
                    dialect.on_duplicate_ignore("metric_id")
                )
            });
        }
    }

    /// The text for `rows` rows, built by [`Statements::prepare`].
    fn samples(&self, rows: usize) -> Result<&str, sqlx::Error> {
        self.samples
            .get(&rows)
            .map(String::as_str)
            .ok_or_else(|| sqlx::Error::Protocol(format!("no statement for {rows} rows")))
    }
}

/// Most bytes of parameters in one statement (under MySQL's default 16 MiB packet limit).
const MAX_STATEMENT_BYTES: usize = 4 << 20;

/// The row counts of the statements that write rows of the given value sizes, in order: groups
/// of at most `max_rows` rows and about `max_bytes` of values, each group split into powers of
/// two (a full group is one statement). So a sink uses at most ~12 distinct statement texts
/// per table, each a prepared statement that is reused, whatever the batch sizes.
pub(crate) fn plan_statements(
    sizes: impl IntoIterator<Item = usize>,
    max_rows: usize,
    max_bytes: usize,
) -> Vec<usize> {
    let mut groups = Vec::new();
    let (mut rows, mut bytes) = (0, 0);
    for size in sizes {
        rows += 1;
        bytes += size;
        if rows == max_rows || bytes >= max_bytes {
            groups.push(rows);
            (rows, bytes) = (0, 0);
        }
    }
    if rows > 0 {
        groups.push(rows);
    }
    let mut plan = Vec::new();
    for group in groups {
        if group == max_rows {
            plan.push(group);
            continue;
        }
        let mut left = group;
        while left > 0 {
            let part = 1 << (usize::BITS - 1 - left.leading_zeros());
            plan.push(part);
            left -= part;
        }
    }
    plan
}

fn sample_params(id: i64, row: &Row<'_>, out: &mut Vec<Param>) {
    out.push(Param::I64(id));
    out.push(Param::I64(row.ts_ms));
    out.push(Param::I64(row.is_historical.into()));
    value_params(&row.cols, out);
    out.push(Param::I64(row.quality.into()));
    out.push(Param::opt(row.seq, |s| Param::I64(s.into())));
    out.push(Param::opt(row.bd_seq, Param::U64));
    out.push(Param::I64(row.received_at_ms));
    out.push(Param::I64(row.outside_window.into()));
}

/// A run of (metric id, row index) pairs in key order and the row counts of its statements.
type RunPlan<'a> = (&'a [(i64, usize)], Vec<usize>);

/// Fewest rows worth a connection of their own: below this, a second transaction's round
/// trips cost more than the rows it takes over.
const MIN_ROWS_PER_WRITER: usize = 500;

/// Inserts the rows (duplicates ignored); returns the rows written.
///
/// The rows go in key order, so each statement fills B-tree pages in sequence instead of
/// touching one page per metric; the sorted rows are cut into up to `writers` runs of keys,
/// each written in its own transaction on its own connection at the same time, so the database
/// can use more than one core while this process prepares the next statement. A failure fails
/// the whole write; what one run committed makes its rows duplicates when the batch is
/// written again, so a retry stores each sample once.
pub(crate) async fn write(
    pool: &Pool,
    statements: &mut Statements,
    rows: &[Row<'_>],
    ids: &IdCache,
    writers: usize,
) -> Result<u64, sqlx::Error> {
    let dialect = pool.dialect();
    let mut order: Vec<(i64, usize)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| ids.metric_id(r.source, &r.metric).map(|id| (id, i)))
        .collect();
    order.sort_unstable_by_key(|&(id, i)| (id, rows[i].ts_ms, rows[i].is_historical));
    let runs = order
        .len()
        .div_ceil(MIN_ROWS_PER_WRITER)
        .clamp(1, writers.max(1));
    let per_run = order.len().div_ceil(runs).max(1);
    let per_statement = dialect.sample_rows_per_statement();
    let plans: Vec<RunPlan<'_>> = order
        .chunks(per_run)
        .map(|run| {
            let plan = plan_statements(
                run.iter().map(|&(_, i)| rows[i].cols.size()),
                per_statement,
                MAX_STATEMENT_BYTES,
            );
            (run, plan)
        })
        .collect();
    for (_, plan) in &plans {
        statements.prepare(dialect, plan);
    }
    let statements = &*statements;
    let written = futures_util::future::try_join_all(
        plans
            .into_iter()
            .map(|(run, plan)| write_run(pool, statements, rows, run, plan)),
    )
    .await?;
    Ok(written.into_iter().sum())
}

/// One run of keys in one transaction.
async fn write_run(
    pool: &Pool,
    statements: &Statements,
    rows: &[Row<'_>],
    run: &[(i64, usize)],
    plan: Vec<usize>,
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut written = 0;
    let mut params = Vec::new();
    let mut next = run.iter();
    for n in plan {
        params.clear();
        for &(id, i) in next.by_ref().take(n) {
            sample_params(id, &rows[i], &mut params);
        }
        written += tx.execute(statements.samples(n)?, &params).await?;
    }
    tx.commit().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_come_in_few_sizes() {
        assert_eq!(
            plan_statements([10; 2500], 1000, 1 << 20),
            vec![1000, 1000, 256, 128, 64, 32, 16, 4]
        );
        assert_eq!(plan_statements([10; 7], 1000, 1 << 20), vec![4, 2, 1]);
        assert!(plan_statements(std::iter::empty(), 1000, 1 << 20).is_empty());
        // Big values close a group early; the group is then split like any other.
        assert_eq!(plan_statements([600, 600, 600, 10], 1000, 1000), vec![2, 2]);
        let sizes: std::collections::BTreeSet<usize> = (1..3000)
            .flat_map(|n| plan_statements(vec![1; n], 1000, 1 << 20))
            .collect();
        assert!(sizes.len() <= 11, "{sizes:?}");
    }
}
