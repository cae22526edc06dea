//! The history of one metric: raw samples or bucketed aggregates, as JSON or CSV.
//!
//! The metric is named by the `metric` query parameter, so names with `/` and spaces need
//! nothing but ordinary percent-encoding: `?metric=Brine%2FTemperature`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use spark_sink::{BucketRow, SampleRow, Source, TimeRange};
use sparkplug_b::Value;

use super::ApiState;
use super::error::ApiError;
use super::nodes::{known_device, known_node};
use super::time::{format_rfc3339, parse_duration, parse_time};

/// The most raw samples one request returns.
const MAX_LIMIT: u32 = 100_000;

/// The query string of the history routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryQuery {
    /// The metric's name.
    metric: String,
    /// Start (RFC 3339, ms, `now`, or `-1h`); default one hour before `to`.
    from: Option<String>,
    /// End, exclusive; default now.
    to: Option<String>,
    /// Bucket length (`1m`, `15m`, `1h`); none returns raw samples.
    bucket: Option<String>,
    /// With `bucket`: only this aggregate as `{start_ms, value}` points (count, min, max, avg,
    /// first, last).
    agg: Option<String>,
    /// Raw samples: at most this many, oldest first (default 10,000, at most 100,000).
    limit: Option<u32>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// The JSON answer.
#[derive(Debug, Serialize)]
pub(crate) struct History {
    /// `group/node[/device]`.
    source: String,
    /// The metric.
    metric: String,
    /// The range, ms.
    from_ms: i64,
    /// The range's end, exclusive, ms.
    to_ms: i64,
    /// The bucket length, when bucketed.
    #[serde(skip_serializing_if = "Option::is_none")]
    bucket_ms: Option<i64>,
    /// Raw samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    samples: Option<Vec<SampleRow>>,
    /// Buckets with every aggregate.
    #[serde(skip_serializing_if = "Option::is_none")]
    buckets: Option<Vec<BucketRow>>,
    /// One aggregate per bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<Vec<Point>>,
}

/// One aggregate of one bucket.
#[derive(Debug, Serialize)]
pub(crate) struct Point {
    start_ms: i64,
    value: Option<serde_json::Value>,
}

/// `GET /api/v1/nodes/{group}/{node}/history?metric=...`
pub(crate) async fn node(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    known_node(&state, &group, &node).await?;
    history(&state, Source::node(group, node), query).await
}

/// `GET /api/v1/nodes/{group}/{node}/devices/{device}/history?metric=...`
pub(crate) async fn device(
    State(state): State<ApiState>,
    Path((group, node, device)): Path<(String, String, String)>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let source = known_device(&state, &group, &node, &device).await?;
    history(&state, source, query).await
}

async fn history(state: &ApiState, source: Source, q: HistoryQuery) -> Result<Response, ApiError> {
    let now = state.now_ms();
    let to =
        q.to.as_deref()
            .map(|t| parse_time(t, now))
            .transpose()
            .map_err(ApiError::bad_request)?;
    let to = to.unwrap_or(now.saturating_add(1));
    let from = match q.from.as_deref() {
        Some(f) => parse_time(f, now).map_err(ApiError::bad_request)?,
        None => to.saturating_sub(3_600_000),
    };
    if from >= to {
        return Err(ApiError::bad_request(format!(
            "from ({from}) must be before to ({to})"
        )));
    }
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format {other:?}: use json or csv"
            )));
        }
    };
    if state.store().metric(&source, &q.metric).await?.is_none() {
        return Err(ApiError::not_found(format!(
            "{source} has no metric {:?}",
            q.metric
        )));
    }
    let range = TimeRange::new(from, to);
    let mut answer = History {
        source: source.to_string(),
        metric: q.metric.clone(),
        from_ms: from,
        to_ms: to,
        bucket_ms: None,
        samples: None,
        buckets: None,
        points: None,
    };
    match &q.bucket {
        None => {
            if q.agg.is_some() {
                return Err(ApiError::bad_request(
                    "agg needs bucket (for example bucket=1m&agg=avg)",
                ));
            }
            let limit = q.limit.unwrap_or(10_000);
            if limit == 0 || limit > MAX_LIMIT {
                return Err(ApiError::bad_request(format!(
                    "limit must be between 1 and {MAX_LIMIT}"
                )));
            }
            let samples = state
                .store()
                .history(&source, &q.metric, range, limit)
                .await?;
            if csv {
                return Ok(csv_response(&answer, raw_csv(&samples)));
            }
            answer.samples = Some(samples);
        }
        Some(bucket) => {
            let bucket_ms = parse_duration(bucket).map_err(ApiError::bad_request)?;
            let buckets = state
                .store()
                .history_buckets(&source, &q.metric, range, bucket_ms)
                .await?;
            answer.bucket_ms = Some(bucket_ms);
            if csv {
                return Ok(csv_response(&answer, buckets_csv(&buckets)));
            }
            match q.agg.as_deref() {
                None => answer.buckets = Some(buckets),
                Some(agg) => answer.points = Some(points(&buckets, agg)?),
            }
        }
    }
    Ok(Json(answer).into_response())
}

fn points(buckets: &[BucketRow], agg: &str) -> Result<Vec<Point>, ApiError> {
    let pick: fn(&BucketRow) -> Option<serde_json::Value> = match agg {
        "count" => |b| Some(b.count.into()),
        "min" => |b| b.min.as_ref().map(json),
        "max" => |b| b.max.as_ref().map(json),
        "avg" => |b| {
            b.avg
                .and_then(|a| serde_json::Number::from_f64(a).map(Into::into))
        },
        "first" => |b| b.first.as_ref().map(json),
        "last" => |b| b.last.as_ref().map(json),
        other => {
            return Err(ApiError::bad_request(format!(
                "agg {other:?}: use count, min, max, avg, first or last"
            )));
        }
    };
    Ok(buckets
        .iter()
        .map(|b| Point {
            start_ms: b.start_ms,
            value: pick(b),
        })
        .collect())
}

fn json(value: &Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// A value as one CSV field: scalars as their JSON text without quotes, the rest as JSON.
fn csv_field(value: Option<&Value>) -> String {
    let text = match value.map(json) {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn raw_csv(samples: &[SampleRow]) -> String {
    let mut out = String::from("timestamp_ms,time,value,quality,is_historical\n");
    for s in samples {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            s.timestamp_ms,
            format_rfc3339(s.timestamp_ms),
            csv_field(s.value.as_ref()),
            s.quality,
            s.is_historical
        ));
    }
    out
}

fn buckets_csv(buckets: &[BucketRow]) -> String {
    let mut out = String::from("start_ms,time,count,min,max,avg,first,last\n");
    for b in buckets {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            b.start_ms,
            format_rfc3339(b.start_ms),
            b.count,
            csv_field(b.min.as_ref()),
            csv_field(b.max.as_ref()),
            b.avg.map(|a| a.to_string()).unwrap_or_default(),
            csv_field(b.first.as_ref()),
            csv_field(b.last.as_ref()),
        ));
    }
    out
}

fn csv_response(answer: &History, body: String) -> Response {
    let file: String = format!("{}_{}.csv", answer.source, answer.metric)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(csv_field(Some(&Value::Double(-11.5))), "-11.5");
        assert_eq!(csv_field(Some(&Value::String("a,b".into()))), "\"a,b\"");
        assert_eq!(
            csv_field(Some(&Value::String("say \"hi\"".into()))),
            "\"say \"\"hi\"\"\""
        );
        assert_eq!(csv_field(None), "");
        assert_eq!(
            csv_field(Some(&Value::UInt64(u64::MAX))),
            "18446744073709551615"
        );
    }
}
