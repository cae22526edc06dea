//! Report rows written by the batch jobs, as JSON or CSV.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use spark_sink::{ReportFilter, ReportRow, TimeRange};

use super::ApiState;
use super::error::ApiError;
use super::paging::{Asked, Limits, with_next};
use super::time::{format_rfc3339, parse_time};

/// A configured job and how far it got.
#[derive(Debug, Serialize)]
pub(crate) struct JobRow {
    /// The job's name.
    name: String,
    /// What it computes (`rollup`, `ice_plant_kpis`).
    kind: String,
    /// Its window length in ms.
    window_ms: i64,
    /// The end of the last window it completed.
    watermark_ms: Option<i64>,
}

/// `GET /api/v1/reports`: the jobs.
pub(crate) async fn jobs(State(state): State<ApiState>) -> Result<Json<Vec<JobRow>>, ApiError> {
    let mut rows = Vec::new();
    for job in state.jobs() {
        rows.push(JobRow {
            name: job.name.clone(),
            kind: serde_json::to_value(job.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            window_ms: (job.window_s as i64).saturating_mul(1000),
            watermark_ms: state.store().watermark(&job.name).await?,
        });
    }
    Ok(Json(rows))
}

/// `GET /api/v1/reports/{job}` filters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RowsQuery {
    /// Only this key (a metric path or a KPI's plant).
    key: Option<String>,
    /// Windows starting from (RFC 3339, ms, `-1d`).
    from: Option<String>,
    /// Windows starting before.
    to: Option<String>,
    /// At most this many (default 1000, at most 100,000).
    limit: Option<u32>,
    /// After skipping this many.
    offset: Option<u64>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// `GET /api/v1/reports/{job}`: its rows, by window then key.
pub(crate) async fn rows(
    State(state): State<ApiState>,
    Path(job): Path<String>,
    OriginalUri(uri): OriginalUri,
    query: Result<Query<RowsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    if !state.jobs().iter().any(|j| j.name == job) {
        return Err(ApiError::not_found(format!(
            "no report job {job:?} is configured"
        )));
    }
    let asked = Asked::new(q.limit, q.offset, ROWS)?;
    let now = state.now_ms();
    let parse = |t: &Option<String>| t.as_deref().map(|t| parse_time(t, now)).transpose();
    let from = parse(&q.from).map_err(ApiError::bad_request)?;
    let to = parse(&q.to).map_err(ApiError::bad_request)?;
    let range = (from.is_some() || to.is_some())
        .then(|| TimeRange::new(from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX)));
    let filter = ReportFilter {
        job: job.clone(),
        key: q.key,
        range,
        limit: Some(asked.store_page().limit),
        offset: Some(asked.offset),
    };
    let rows = state.store().report_rows(&filter).await?;
    let (rows, next) = asked.cut(rows);
    let answer = match q.format.as_deref() {
        None | Some("json") => Json(rows).into_response(),
        Some("csv") => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{job}.csv\""),
                ),
            ],
            to_csv(&rows),
        )
            .into_response(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format {other:?}: use json or csv"
            )));
        }
    };
    Ok(with_next(answer, &uri, asked.limit, next))
}

/// Report rows: a thousand by default.
const ROWS: Limits = Limits {
    default: 1000,
    max: 100_000,
};

/// The rows as CSV: the fixed columns, then one column per field name (sorted).
fn to_csv(rows: &[ReportRow]) -> String {
    let mut fields: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.fields.as_object())
        .flat_map(|o| o.keys().map(String::as_str))
        .collect();
    fields.sort_unstable();
    fields.dedup();
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = String::from("job,key,window_start_ms,window_start,window_end_ms");
    for f in &fields {
        out.push(',');
        out.push_str(&quote(f));
    }
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{}",
            quote(&r.job),
            quote(&r.key),
            r.window_start_ms,
            format_rfc3339(r.window_start_ms),
            r.window_end_ms
        ));
        for f in &fields {
            out.push(',');
            match r.fields.get(*f) {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::String(s)) => out.push_str(&quote(s)),
                Some(v) => out.push_str(&quote(&v.to_string())),
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_has_a_column_per_field() {
        let rows = [ReportRow {
            job: "j".into(),
            key: "Brine/Temp".into(),
            window_start_ms: 0,
            window_end_ms: 60_000,
            fields: json!({"avg": -11.5, "count": 3}),
        }];
        let csv = to_csv(&rows);
        assert_eq!(
            csv,
            "job,key,window_start_ms,window_start,window_end_ms,avg,count\n\
             j,Brine/Temp,0,1970-01-01T00:00:00.000Z,60000,-11.5,3\n"
        );
    }
}
