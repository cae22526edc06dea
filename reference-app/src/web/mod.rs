//! The live dashboard: one page and its assets, embedded in the binary (no CDN, no build
//! step, works offline), served at `/` beside the API, and the stream of live events the page
//! listens to (`GET /api/v1/stream`, server-sent events).
//!
//! ```text
//!   GET /                     index.html (with the API's auth mode in a meta tag)
//!   GET /assets/{file}        the page's scripts, styles and icon (reference-app/web/)
//!   GET /assets/limits.json   the plant model's alarm limits, for the value colouring
//!   GET /api/v1/stream        text/event-stream of live::LiveEvent (under the API's read auth)
//! ```
//!
//! The page reads everything else from the REST API (`/api/v1/...`) like any other client;
//! `docs/DASHBOARD.md` describes what it shows.

mod assets;
mod limits;
mod stream;

use axum::Router;
use axum::routing::get;

use crate::api::ApiState;
pub(crate) use stream::stream;

/// The page and its assets. The stream is routed by the API (it sits under `/api/v1`, behind
/// the same authentication as the other reads).
pub(crate) fn router(state: ApiState) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/index.html", get(assets::index))
        .route("/assets/limits.json", get(limits::document))
        .route("/assets/{file}", get(assets::asset))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use http_body_util::BodyExt;
    use spark_sink::Store;
    use spark_sink::sql::SqlStore;
    use tower::ServiceExt;

    use crate::api::{ApiState, router};
    use crate::telemetry::Telemetry;

    async fn app(token: Option<&str>, protect_reads: bool) -> axum::Router {
        let store = SqlStore::connect("sqlite::memory:").await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store.query());
        let state = ApiState::new(store, None, Arc::new(Telemetry::default()), Vec::new())
            .with_token(token.map(str::to_owned), protect_reads);
        router(state)
    }

    async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, String) {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            content_type,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    #[tokio::test]
    async fn the_page_is_served_at_the_root_as_html() {
        let app = app(None, false).await;
        let request = Request::get("/").body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains(r#"<meta name="dashboard-auth" content="none">"#));
        assert!(html.contains(r#"<script type="module" src="/assets/app.js">"#));
        assert!(!html.contains("{{"), "a placeholder was left in the page");
    }

    #[tokio::test]
    async fn the_page_says_which_routes_need_the_token() {
        let (_, _, html) = get(&app(Some("s3cret"), false).await, "/").await;
        assert!(html.contains(r#"content="commands""#));
        let (status, _, html) = get(&app(Some("s3cret"), true).await, "/").await;
        assert_eq!(status, StatusCode::OK, "the page itself needs no token");
        assert!(html.contains(r#"content="all""#));
        assert!(
            !html.contains("s3cret"),
            "the token must never be in the page"
        );
    }

    #[tokio::test]
    async fn assets_have_their_content_types() {
        let app = app(None, false).await;
        for (uri, wanted, needle) in [
            ("/assets/app.js", "text/javascript; charset=utf-8", "import"),
            (
                "/assets/chart.js",
                "text/javascript; charset=utf-8",
                "export function drawChart",
            ),
            ("/assets/style.css", "text/css; charset=utf-8", ":root"),
            ("/assets/icon.svg", "image/svg+xml", "<svg"),
            (
                "/assets/limits.json",
                "application/json",
                "ammonia_alarm_ppm",
            ),
        ] {
            let (status, content_type, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(content_type, wanted, "{uri}");
            assert!(body.contains(needle), "{uri}");
        }
    }

    #[tokio::test]
    async fn unknown_assets_and_api_routes_are_404() {
        let app = app(None, false).await;
        let (status, _, _) = get(&app, "/assets/nope.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = get(&app, "/assets/..%2FCargo.toml").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The API keeps its JSON fallback for unknown routes under /api/v1.
        let (status, content_type, body) = get(&app, "/api/v1/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        assert!(body.contains("openapi.json"), "{body}");
    }

    #[tokio::test]
    async fn the_stream_needs_the_token_when_reads_do() {
        let (status, _, _) = get(&app(Some("s3cret"), true).await, "/api/v1/stream").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
