//! `/healthz` (the process answers), `/readyz` (the store answers and, when one runs, the host
//! is connected) and `/metrics` (Prometheus); the store's background health probe and the
//! guard that makes store-backed routes answer 503 at once while the store is down.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::watch;

use super::ApiState;
use super::error::ApiError;
use crate::telemetry::Telemetry;

/// How often the store is probed.
pub(crate) const PROBE_EVERY: Duration = Duration::from_millis(500);

/// A probe that takes longer than this counts as a failure: with [`PROBE_EVERY`], a store
/// that goes away is seen within a second, well inside the pool's 10 s acquire timeout.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Probes the store every [`PROBE_EVERY`] until `stop` changes, and records the outcome in
/// `telemetry.store` for `/readyz`, `/metrics` and [`store_guard`].
pub(crate) async fn watch_store<F, Fut>(
    telemetry: Arc<Telemetry>,
    probe: F,
    mut stop: watch::Receiver<bool>,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    loop {
        let result = match tokio::time::timeout(PROBE_TIMEOUT, probe()).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the store did not answer within {} ms",
                PROBE_TIMEOUT.as_millis()
            )),
        };
        telemetry.store.set(result);
        tokio::select! {
            () = tokio::time::sleep(PROBE_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The probe of a [`spark_sink::Store`]: one keyed read.
pub(crate) fn probe(store: Arc<dyn spark_sink::Store>) -> impl Fn() -> ProbeFuture {
    move || {
        let store = Arc::clone(&store);
        Box::pin(async move {
            store
                .watermark("__readyz__")
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        })
    }
}

/// What [`probe`] returns.
pub(crate) type ProbeFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'static>>;

/// Routes under `/api/v1` that read no store: the live stream and the report job list.
fn reads_no_store(path: &str) -> bool {
    path.ends_with("/stream") || path == "/reports" || path.ends_with("/api/v1/reports")
}

/// Middleware of the store-backed routes: 503 at once while the probe finds the store down,
/// and 503 as soon as it does for a request already waiting on the store (instead of the
/// pool's acquire timeout). Without a probe (tests of the router alone) it lets every request
/// through.
pub(super) async fn store_guard(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    if reads_no_store(request.uri().path()) {
        return next.run(request).await;
    }
    let health = &state.telemetry().store;
    match health.get() {
        None => return next.run(request).await,
        Some(Err(e)) => return store_down(&e),
        Some(Ok(())) => {}
    }
    tokio::select! {
        response = next.run(request) => response,
        e = health.down() => store_down(&e),
    }
}

fn store_down(e: &str) -> Response {
    ApiError::unavailable(format!("the store is unavailable: {e}")).into_response()
}

/// `GET /healthz`
pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: from the probe's last outcome (no wait on the store); without a probe, from
/// one read of the store, bounded by [`PROBE_TIMEOUT`].
pub(super) async fn readyz(State(state): State<ApiState>) -> Response {
    let store = match state.telemetry().store.get() {
        Some(result) => result,
        None => {
            match tokio::time::timeout(PROBE_TIMEOUT, state.store().watermark("__readyz__")).await {
                Ok(result) => result.map(drop).map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "the store did not answer within {} ms",
                    PROBE_TIMEOUT.as_millis()
                )),
            }
        }
    };
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;
    use std::time::Instant;

    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use spark_sink::Store;
    use spark_sink::sql::SqlStore;
    use tower::ServiceExt;

    use super::*;
    use crate::config::ReportsSection;

    async fn state() -> ApiState {
        let store = SqlStore::connect("sqlite::memory:").await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store.query());
        ApiState::new(
            store,
            None,
            Arc::new(Telemetry::default()),
            ReportsSection::default().jobs,
        )
    }

    async fn get_status(app: &Router, uri: &str) -> (StatusCode, String) {
        let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A store that stops answering (a database that went away: the pool would wait 10 s for
    /// a connection) is seen down within a second, and seen up again when it answers.
    #[tokio::test]
    async fn the_probe_sees_a_store_that_stops_answering_within_a_second() {
        let telemetry = Arc::new(Telemetry::default());
        let calls = Arc::new(AtomicU32::new(0));
        let answering = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let probe = {
            let (calls, answering) = (Arc::clone(&calls), Arc::clone(&answering));
            move || {
                calls.fetch_add(1, Ordering::Relaxed);
                let answers = answering.load(Ordering::Relaxed);
                async move {
                    if !answers {
                        std::future::pending::<()>().await;
                    }
                    Ok(())
                }
            }
        };
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(watch_store(Arc::clone(&telemetry), probe, stop_rx));
        let wait = |want: bool| {
            let telemetry = Arc::clone(&telemetry);
            async move {
                let start = Instant::now();
                while telemetry.store.get().map(|r| r.is_ok()) != Some(want) {
                    assert!(
                        start.elapsed() < Duration::from_secs(5),
                        "the probe never saw it"
                    );
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                start.elapsed()
            }
        };
        wait(true).await;
        answering.store(false, Ordering::Relaxed);
        let seen = wait(false).await;
        assert!(seen < Duration::from_millis(1_100), "{seen:?}");
        assert!(telemetry.prometheus().contains("iceplant_store_up 0\n"));
        answering.store(true, Ordering::Relaxed);
        wait(true).await;
        assert!(telemetry.prometheus().contains("iceplant_store_up 1\n"));
        stop.send(true).unwrap();
        task.await.unwrap();
        assert!(calls.load(Ordering::Relaxed) >= 3);
    }

    /// While the store is down, /readyz and the store-backed routes answer 503 at once; the
    /// routes that read no store still answer.
    #[tokio::test]
    async fn store_routes_answer_at_once_while_the_store_is_down() {
        let state = state().await;
        let app = super::super::router(state.clone());
        state
            .telemetry()
            .store
            .set(Err("connection refused".into()));
        let start = Instant::now();
        let (status, body) = get_status(&app, "/api/v1/nodes").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("connection refused"), "{body}");
        let (status, body) = get_status(&app, "/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("connection refused"), "{body}");
        assert!(start.elapsed() < Duration::from_secs(1));
        let (status, _) = get_status(&app, "/api/v1/reports").await;
        assert_eq!(status, StatusCode::OK, "the job list reads no store");
        state.telemetry().store.set(Ok(()));
        let (status, body) = get_status(&app, "/api/v1/nodes").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = get_status(&app, "/readyz").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// A request already waiting on the store when the probe finds it down answers 503 then,
    /// not after the pool's timeout.
    #[tokio::test]
    async fn a_request_waiting_on_a_store_that_goes_down_answers_503() {
        let state = state().await;
        state.telemetry().store.set(Ok(()));
        let app = Router::new()
            .route("/hangs", get(std::future::pending::<&'static str>))
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                store_guard,
            ))
            .with_state(state.clone());
        let request = tokio::spawn({
            let app = app.clone();
            async move { get_status(&app, "/hangs").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let start = Instant::now();
        state.telemetry().store.set(Err("timed out".into()));
        let (status, body) = request.await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
