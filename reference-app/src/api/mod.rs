//! The REST API: versioned JSON under `/api/v1`, its OpenAPI document, health and Prometheus
//! endpoints. `router(state)` builds it; tests drive it with `tower::ServiceExt::oneshot`.
//!
//! Reads come from the SQL store through [`spark_sink::Store`]; commands go to the host
//! application through [`Commands`]. Metric names may hold `/` and spaces: routes that take
//! one name it in a query parameter (`?metric=Brine%2FTemperature`) or in a trailing wildcard
//! segment (`/metrics/Brine/Temperature`).

mod auth;
pub(crate) mod commands;
pub(crate) mod error;
mod events;
pub(crate) mod guard;
mod history;
mod ids;
mod nodes;
mod openapi;
pub(crate) mod ops;
mod paging;
mod reports;
mod templates;
pub(crate) mod time;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use spark_sink::Store;
use tokio::sync::broadcast;

use crate::config::JobConfig;
use crate::live::LiveEvent;
use crate::telemetry::Telemetry;
pub(crate) use commands::{Commands, HostCommands};
use error::ApiError;
use guard::AllowedHosts;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub(crate) struct ApiState {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    store: Arc<dyn Store>,
    commands: Option<Arc<dyn Commands>>,
    telemetry: Arc<Telemetry>,
    jobs: Vec<JobConfig>,
    token: Option<String>,
    protect_reads: bool,
    /// The host names requests may name beside addresses and `localhost` (`api.allowed_hosts`).
    allowed_hosts: AllowedHosts,
    /// Weak, so the stream ends when the ingest loop (the one strong sender) stops.
    live: Option<broadcast::WeakSender<LiveEvent>>,
}

impl ApiState {
    /// The state of an API over `store`, with commands when a host application runs.
    pub(crate) fn new(
        store: Arc<dyn Store>,
        commands: Option<Arc<dyn Commands>>,
        telemetry: Arc<Telemetry>,
        jobs: Vec<JobConfig>,
    ) -> Self {
        ApiState {
            inner: Arc::new(Inner {
                store,
                commands,
                telemetry,
                jobs,
                token: None,
                protect_reads: false,
                allowed_hosts: AllowedHosts::default(),
                live: None,
            }),
        }
    }

    /// Requires `Authorization: Bearer <token>` for commands, and for reads too when
    /// `protect_reads`.
    pub(crate) fn with_token(self, token: Option<String>, protect_reads: bool) -> Self {
        self.with_inner(|inner| {
            inner.token = token.filter(|t| !t.is_empty());
            inner.protect_reads = protect_reads;
        })
    }

    /// Lets requests name these hosts too (`api.allowed_hosts`: the names of a reverse proxy;
    /// `*` for any), beside IP addresses and `localhost`.
    pub(crate) fn with_allowed_hosts(self, names: &[String]) -> Self {
        let allowed = AllowedHosts::new(names);
        self.with_inner(|inner| inner.allowed_hosts = allowed)
    }

    /// Publishes the host's live events to the dashboard's stream.
    pub(crate) fn with_live(self, live: broadcast::Sender<LiveEvent>) -> Self {
        self.with_inner(|inner| inner.live = Some(live.downgrade()))
    }

    /// The builder setters' one way to change the state before it is shared.
    fn with_inner(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        change(&mut inner);
        ApiState {
            inner: Arc::new(inner),
        }
    }

    /// A new subscription to the live events; `None` when no host runs in this process (or
    /// its ingest loop has stopped).
    pub(crate) fn live(&self) -> Option<broadcast::Receiver<LiveEvent>> {
        self.inner
            .live
            .as_ref()
            .and_then(broadcast::WeakSender::upgrade)
            .map(|sender| sender.subscribe())
    }

    /// Whether commands need a bearer token.
    pub(crate) fn has_token(&self) -> bool {
        self.inner.token.is_some()
    }

    /// Whether reads need the bearer token too.
    pub(crate) fn reads_protected(&self) -> bool {
        self.inner.token.is_some() && self.inner.protect_reads
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    pub(crate) fn commands(&self) -> Result<&dyn Commands, ApiError> {
        self.inner.commands.as_deref().ok_or_else(|| {
            ApiError::unavailable("no host application runs in this process (serve mode)")
        })
    }

    pub(crate) fn telemetry(&self) -> &Telemetry {
        &self.inner.telemetry
    }

    pub(crate) fn jobs(&self) -> &[JobConfig] {
        &self.inner.jobs
    }

    /// The wall clock, ms since the epoch.
    pub(crate) fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// The whole HTTP surface.
pub(crate) fn router(state: ApiState) -> Router {
    let reads = Router::new()
        .route("/nodes", get(nodes::list))
        .route("/nodes/{group}/{node}", get(nodes::detail))
        .route("/nodes/{group}/{node}/devices", get(nodes::devices))
        .route("/nodes/{group}/{node}/births", get(nodes::births))
        .route("/nodes/{group}/{node}/templates", get(templates::node))
        .route("/nodes/{group}/{node}/metrics", get(nodes::node_metrics))
        .route(
            "/nodes/{group}/{node}/metrics/{*metric}",
            get(nodes::node_metric),
        )
        .route("/nodes/{group}/{node}/history", get(history::node))
        .route(
            "/nodes/{group}/{node}/devices/{device}/metrics",
            get(nodes::device_metrics),
        )
        .route(
            "/nodes/{group}/{node}/devices/{device}/metrics/{*metric}",
            get(nodes::device_metric),
        )
        .route(
            "/nodes/{group}/{node}/devices/{device}/history",
            get(history::device),
        )
        .route("/events", get(events::list))
        .route("/reports", get(reports::jobs))
        .route("/reports/{job}", get(reports::rows))
        .route("/stream", get(crate::web::stream))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            ops::store_guard,
        ))
        // Outside the store guard: a request with a bad id is refused before the store is asked.
        .route_layer(middleware::from_fn(ids::checked))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::reads));
    let commands = Router::new()
        .route("/nodes/{group}/{node}/rebirth", post(commands::rebirth))
        .route("/nodes/{group}/{node}/write", post(commands::write_node))
        .route(
            "/nodes/{group}/{node}/devices/{device}/write",
            post(commands::write_device),
        )
        .route_layer(middleware::from_fn(ids::checked))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::commands,
        ));
    let api = reads
        .merge(commands)
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async {
            ApiError::not_found("no such route under /api/v1 (see /api/v1/openapi.json)")
        })
        .layer(DefaultBodyLimit::max(guard::MAX_BODY_BYTES));
    // The API and the page check Host, Origin and, for writes, the body (guard.rs); the probes
    // and the Prometheus endpoint answer any monitoring system.
    let guarded = Router::new()
        .nest("/api/v1", api)
        .with_state(state.clone())
        .merge(crate::web::router(state.clone()))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::requests,
        ));
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(state)
        .merge(guarded)
}

#[cfg(test)]
mod tests;
