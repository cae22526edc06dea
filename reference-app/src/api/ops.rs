//! `/healthz` (the process answers), `/readyz` (the store answers and, when one runs, the host
//! is connected) and `/metrics` (Prometheus).

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ApiState;

/// `GET /healthz`
pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`
pub(super) async fn readyz(State(state): State<ApiState>) -> Response {
    let store = state
        .store()
        .nodes()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    let host = state
        .inner
        .commands
        .as_ref()
        .map(|_| state.telemetry().host_connected.load(Ordering::Relaxed));
    let ready = store.is_ok() && host.unwrap_or(true);
    let body = json!({
        "ready": ready,
        "store": match &store { Ok(()) => "ok".to_owned(), Err(e) => e.clone() },
        "host_connected": host,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics`
pub(super) async fn metrics(State(state): State<ApiState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.telemetry().prometheus(),
    )
        .into_response()
}
