//! Edge nodes, devices, their metric catalogues and births.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use spark_sink::{BirthRow, DeviceRow, MetricRow, NodeRow, Source};

use super::ApiState;
use super::error::ApiError;

/// `GET /api/v1/nodes`
pub(crate) async fn list(State(state): State<ApiState>) -> Result<Json<Vec<NodeRow>>, ApiError> {
    Ok(Json(state.store().nodes().await?))
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
) -> Result<Json<Vec<DeviceRow>>, ApiError> {
    known_node(&state, &group, &node).await?;
    Ok(Json(state.store().devices(&group, &node).await?))
}

/// `GET /api/v1/nodes/{group}/{node}/metrics`
pub(crate) async fn node_metrics(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
) -> Result<Json<Vec<MetricRow>>, ApiError> {
    known_node(&state, &group, &node).await?;
    Ok(Json(
        state.store().metrics(&Source::node(group, node)).await?,
    ))
}

/// `GET /api/v1/nodes/{group}/{node}/devices/{device}/metrics`
pub(crate) async fn device_metrics(
    State(state): State<ApiState>,
    Path((group, node, device)): Path<(String, String, String)>,
) -> Result<Json<Vec<MetricRow>>, ApiError> {
    let source = known_device(&state, &group, &node, &device).await?;
    Ok(Json(state.store().metrics(&source).await?))
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

/// `?limit=` of the births route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BirthsQuery {
    /// At most this many, newest first (default 10, at most 1000).
    limit: Option<u32>,
    /// The device whose births to list (default: the node's).
    device: Option<String>,
}

/// `GET /api/v1/nodes/{group}/{node}/births`: the birth certificates, newest first.
pub(crate) async fn births(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
    query: Result<Query<BirthsQuery>, QueryRejection>,
) -> Result<Json<Vec<BirthRow>>, ApiError> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(10);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request("limit must be between 1 and 1000"));
    }
    let source = match &query.device {
        Some(device) => known_device(&state, &group, &node, device).await?,
        None => {
            known_node(&state, &group, &node).await?;
            Source::node(group, node)
        }
    };
    Ok(Json(state.store().births(&source, limit).await?))
}
