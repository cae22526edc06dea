//! Lifecycle events: births, deaths, seq gaps, rebirth requests and protocol violations.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Query, State};
use axum::response::Response;
use serde::Deserialize;
use spark_sink::{EventFilter, EventRow, TimeRange};

use super::ApiState;
use super::error::ApiError;
use super::paging::{Asked, Limits, with_next};
use super::time::parse_time;

/// The kinds an event can have.
const KINDS: [&str; 5] = [
    "online",
    "offline",
    "seq_gap",
    "rebirth_requested",
    "violation",
];

/// `GET /api/v1/events` filters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    /// One of `online`, `offline`, `seq_gap`, `rebirth_requested`, `violation`.
    kind: Option<String>,
    /// Only this group.
    group: Option<String>,
    /// Only this edge node (needs `group`).
    node: Option<String>,
    /// From (RFC 3339, ms, `-1h`).
    from: Option<String>,
    /// To, exclusive.
    to: Option<String>,
    /// At most this many, newest first (default 100, at most 10,000).
    limit: Option<u32>,
    /// After skipping this many.
    offset: Option<u64>,
}

/// Events: the newest hundred by default.
const EVENTS: Limits = Limits {
    default: 100,
    max: 10_000,
};

/// `GET /api/v1/events`
pub(crate) async fn list(
    State(state): State<ApiState>,
    OriginalUri(uri): OriginalUri,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    if let Some(kind) = &q.kind {
        if !KINDS.contains(&kind.as_str()) {
            return Err(ApiError::bad_request(format!(
                "kind {kind:?}: use one of {KINDS:?}"
            )));
        }
    }
    if q.node.is_some() && q.group.is_none() {
        return Err(ApiError::bad_request("node needs group"));
    }
    let asked = Asked::new(q.limit, q.offset, EVENTS)?;
    let now = state.now_ms();
    let parse = |t: &Option<String>| t.as_deref().map(|t| parse_time(t, now)).transpose();
    let from = parse(&q.from).map_err(ApiError::bad_request)?;
    let to = parse(&q.to).map_err(ApiError::bad_request)?;
    let range = match (from, to) {
        (None, None) => None,
        (from, to) => {
            let range = TimeRange::new(from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
            if range.from_ms >= range.to_ms {
                return Err(ApiError::bad_request("from must be before to"));
            }
            Some(range)
        }
    };
    let filter = EventFilter {
        kind: q.kind,
        group: q.group,
        node: q.node,
        range,
        limit: Some(asked.store_page().limit),
        offset: Some(asked.offset),
    };
    let rows: Vec<EventRow> = state.store().events(&filter).await?;
    let (rows, next) = asked.cut(rows);
    Ok(with_next(Json(rows), &uri, asked.limit, next))
}
