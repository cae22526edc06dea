//! Edge nodes, devices, their metric catalogues and births.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::Uri;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use spark_sink::{BirthRow, DeviceRow, MetricRow, NodeRow, Source};

use super::ApiState;
use super::error::ApiError;
use super::paging::{self, Asked, Limits, with_next};

/// `?limit=&offset=` of the catalogue lists (nodes, devices, metrics).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// At most this many (default 1000, at most 10,000).
    limit: Option<u32>,
    /// After skipping this many.
    offset: Option<u64>,
}

impl ListQuery {
    fn asked(query: Result<Query<ListQuery>, QueryRejection>) -> Result<Asked, ApiError> {
        let Query(q) = query?;
        Asked::new(q.limit, q.offset, paging::CATALOGUE)
    }
}

/// A page of `rows` with its `Link` to the next.
fn page<T: Serialize>(uri: &Uri, asked: Asked, rows: Vec<T>) -> Response {
    let (rows, next) = asked.cut(rows);
    with_next(Json(rows), uri, asked.limit, next)
}

/// `GET /api/v1/nodes`
pub(crate) async fn list(
    State(state): State<ApiState>,
    OriginalUri(uri): OriginalUri,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let asked = ListQuery::asked(query)?;
    let rows = state.store().nodes_page(asked.store_page()).await?;
    Ok(page(&uri, asked, rows))
}

/// One node with its devices.
#[derive(Debug, Serialize)]
pub(crate) struct NodeDetail {
    /// The node and its state.
    #[serde(flatten)]
    pub(crate) node: NodeRow,
    /// Its devices and their state.
    pub(crate) devices: Vec<DeviceRow>,
}

/// The node, or a 404 that names it.
pub(crate) async fn known_node(
    state: &ApiState,
    group: &str,
    node: &str,
) -> Result<NodeRow, ApiError> {
    state
        .store()
        .node(group, node)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no edge node {group}/{node} has been seen")))
}

/// The source of a device, or a 404 that names it.
pub(crate) async fn known_device(
    state: &ApiState,
    group: &str,
    node: &str,
    device: &str,
) -> Result<Source, ApiError> {
    known_node(state, group, node).await?;
    let devices = state.store().devices(group, node).await?;
    if devices.iter().any(|d| d.device == device) {
        Ok(Source::device(group, node, device))
    } else {
        Err(ApiError::not_found(format!(
            "edge node {group}/{node} has no device {device:?}"
        )))
    }
}

/// `GET /api/v1/nodes/{group}/{node}`
pub(crate) async fn detail(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
) -> Result<Json<NodeDetail>, ApiError> {
    let row = known_node(&state, &group, &node).await?;
    let devices = state.store().devices(&group, &node).await?;
    Ok(Json(NodeDetail { node: row, devices }))
}

/// `GET /api/v1/nodes/{group}/{node}/devices`
pub(crate) async fn devices(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let asked = ListQuery::asked(query)?;
    known_node(&state, &group, &node).await?;
    let rows: Vec<DeviceRow> = state
        .store()
        .devices_page(&group, &node, asked.store_page())
        .await?;
    Ok(page(&uri, asked, rows))
}

/// `GET /api/v1/nodes/{group}/{node}/metrics`
pub(crate) async fn node_metrics(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let asked = ListQuery::asked(query)?;
    known_node(&state, &group, &node).await?;
    let rows: Vec<MetricRow> = state
        .store()
        .metrics_page(&Source::node(group, node), asked.store_page())
        .await?;
    Ok(page(&uri, asked, rows))
}

/// `GET /api/v1/nodes/{group}/{node}/devices/{device}/metrics`
pub(crate) async fn device_metrics(
    State(state): State<ApiState>,
    Path((group, node, device)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let asked = ListQuery::asked(query)?;
    let source = known_device(&state, &group, &node, &device).await?;
    let rows: Vec<MetricRow> = state
        .store()
        .metrics_page(&source, asked.store_page())
        .await?;
    Ok(page(&uri, asked, rows))
}

/// `GET /api/v1/nodes/{group}/{node}/metrics/{*metric}`: one metric; its name may contain
/// `/` (percent-encode spaces and other reserved characters).
pub(crate) async fn node_metric(
    State(state): State<ApiState>,
    Path((group, node, metric)): Path<(String, String, String)>,
) -> Result<Json<MetricRow>, ApiError> {
    known_node(&state, &group, &node).await?;
    one_metric(&state, &Source::node(group, node), &metric).await
}

/// `GET /api/v1/nodes/{group}/{node}/devices/{device}/metrics/{*metric}`
pub(crate) async fn device_metric(
    State(state): State<ApiState>,
    Path((group, node, device, metric)): Path<(String, String, String, String)>,
) -> Result<Json<MetricRow>, ApiError> {
    let source = known_device(&state, &group, &node, &device).await?;
    one_metric(&state, &source, &metric).await
}

async fn one_metric(
    state: &ApiState,
    source: &Source,
    metric: &str,
) -> Result<Json<MetricRow>, ApiError> {
    state
        .store()
        .metric(source, metric)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("{source} has no metric {metric:?}")))
}

/// `?limit=&offset=&device=` of the births route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BirthsQuery {
    /// At most this many, newest first (default 10, at most 1000).
    limit: Option<u32>,
    /// After skipping this many.
    offset: Option<u64>,
    /// The device whose births to list (default: the node's).
    device: Option<String>,
}

/// `GET /api/v1/nodes/{group}/{node}/births`: the birth certificates, newest first.
pub(crate) async fn births(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    query: Result<Query<BirthsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let asked = Asked::new(query.limit, query.offset, BIRTHS)?;
    let source = match &query.device {
        Some(device) => known_device(&state, &group, &node, device).await?,
        None => {
            known_node(&state, &group, &node).await?;
            Source::node(group, node)
        }
    };
    let rows: Vec<BirthRow> = state
        .store()
        .births_page(&source, asked.store_page())
        .await?;
    Ok(page(&uri, asked, rows))
}

/// Births: a few by default, they are large.
const BIRTHS: Limits = Limits {
    default: 10,
    max: 1000,
};
