//! `GET /api/v1/stream`: the host's live events as server-sent events.
//!
//! Each event is named after its `type` (`metrics`, `presence`, `event`) and carries the JSON of
//! [`LiveEvent`]. The stream opens with a `hello` event; a client that fell more than
//! [`crate::live::CAPACITY`] events behind gets a `lagged` event (`{"type": "lagged", "skipped":
//! n}`) and should re-read the current values from the API. The stream ends when the host's
//! ingest loop stops (the app shuts down), so a connected page never holds up a graceful
//! shutdown. A comment every 15 s keeps proxies from closing an idle stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::api::ApiState;
use crate::api::error::ApiError;
use crate::live::LiveEvent;

/// How often an idle stream sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /api/v1/stream`: 503 when no host application runs in this process (serve mode).
pub(crate) async fn stream(
    State(state): State<ApiState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let receiver = state.live().ok_or_else(|| {
        ApiError::unavailable(
            "no host application runs in this process (serve mode), so there are no live events",
        )
    })?;
    let hello =
        stream::once(async { Ok(Event::default().event("hello").data(r#"{"type":"hello"}"#)) });
    let events = stream::unfold(receiver, |mut receiver| async move {
        loop {
            let event = match receiver.recv().await {
                Ok(event) => sse_event(&event),
                Err(RecvError::Lagged(skipped)) => Some(
                    Event::default()
                        .event("lagged")
                        .data(format!(r#"{{"type":"lagged","skipped":{skipped}}}"#)),
                ),
                Err(RecvError::Closed) => return None,
            };
            if let Some(event) = event {
                return Some((Ok(event), receiver));
            }
        }
    });
    Ok(Sse::new(hello.chain(events)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The SSE form of one live event (`None`, logged, if it cannot be rendered).
fn sse_event(event: &LiveEvent) -> Option<Event> {
    let name = match event {
        LiveEvent::Metrics { .. } => "metrics",
        LiveEvent::Presence { .. } => "presence",
        LiveEvent::Event { .. } => "event",
    };
    match serde_json::to_string(event) {
        Ok(json) => Some(Event::default().event(name).data(json)),
        Err(error) => {
            tracing::warn!(%error, "A live event could not be rendered as JSON; it is skipped.");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use http_body_util::BodyExt;
    use spark_sink::Store;
    use spark_sink::sql::SqlStore;
    use sparkplug_b::Value;
    use tower::ServiceExt;

    use crate::api::{ApiState, router};
    use crate::live::{self, LiveEvent, LiveValue};
    use crate::telemetry::Telemetry;

    async fn state() -> ApiState {
        let store = SqlStore::connect("sqlite::memory:").await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store.query());
        ApiState::new(store, None, Arc::new(Telemetry::default()), Vec::new())
    }

    fn brine(value: f64) -> LiveEvent {
        LiveEvent::Metrics {
            group: "IcePlant".into(),
            node: "Plant1".into(),
            device: Some("BrineTank".into()),
            message_type: "DDATA".into(),
            values: vec![LiveValue {
                name: "Temperature".into(),
                timestamp_ms: Some(1_795_860_000_000),
                value: Some(Value::Double(value)),
                quality: 192,
            }],
        }
    }

    async fn open(state: ApiState) -> axum::response::Response {
        let request = Request::get("/api/v1/stream").body(Body::empty()).unwrap();
        router(state).oneshot(request).await.unwrap()
    }

    /// Reads the body until `want` appears in it (or fails after a few seconds).
    async fn read_until(body: &mut Body, text: &mut String, want: &str) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while !text.contains(want) {
            let frame = tokio::time::timeout_at(deadline, body.frame())
                .await
                .unwrap_or_else(|_| panic!("no {want:?} in the stream; got {text:?}"))
                .expect("the stream ended")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                text.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    }

    #[tokio::test]
    async fn a_live_event_sent_on_the_channel_reaches_the_stream() {
        let sender = live::channel();
        let response = open(state().await.with_live(sender.clone())).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        let mut body = response.into_body();
        let mut text = String::new();
        read_until(&mut body, &mut text, "event: hello").await;
        sender.send(brine(-11.25)).unwrap();
        read_until(&mut body, &mut text, "-11.25").await;
        let line = text
            .lines()
            .find(|l| l.contains("-11.25"))
            .and_then(|l| l.strip_prefix("data: "))
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(json["type"], "metrics");
        assert_eq!(json["device"], "BrineTank");
        assert_eq!(json["values"][0]["name"], "Temperature");
        assert_eq!(json["values"][0]["value"], -11.25);
        assert!(text.contains("event: metrics\n"), "{text}");

        sender
            .send(LiveEvent::Presence {
                group: "IcePlant".into(),
                node: "Plant1".into(),
                device: None,
                online: false,
                at_ms: 5,
            })
            .unwrap();
        read_until(&mut body, &mut text, "event: presence\ndata: ").await;
        assert!(text.contains(r#""online":false"#), "{text}");
    }

    #[tokio::test]
    async fn the_stream_ends_when_the_ingest_loop_drops_its_sender() {
        let sender = live::channel();
        let response = open(state().await.with_live(sender.clone())).await;
        let mut body = response.into_body();
        let mut text = String::new();
        read_until(&mut body, &mut text, "event: hello").await;
        drop(sender);
        let end = tokio::time::timeout(std::time::Duration::from_secs(5), body.collect()).await;
        assert!(
            end.is_ok(),
            "the stream stayed open after the sender was dropped"
        );
    }

    #[tokio::test]
    async fn a_slow_client_is_told_what_it_skipped() {
        let sender = live::channel();
        let response = open(state().await.with_live(sender.clone())).await;
        for i in 0..live::CAPACITY + 10 {
            sender.send(brine(i as f64)).unwrap();
        }
        let mut body = response.into_body();
        let mut text = String::new();
        read_until(&mut body, &mut text, "event: lagged").await;
        assert!(text.contains(r#"{"type":"lagged","skipped":10}"#), "{text}");
    }

    #[tokio::test]
    async fn without_a_host_the_stream_is_unavailable() {
        let response = open(state().await).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
