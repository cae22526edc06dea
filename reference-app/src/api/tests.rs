//! The HTTP layer over a real SQLite store (in memory), driven with `oneshot`.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value as Json, json};
use spark_sink::sql::SqlStore;
use spark_sink::{
    Batch, Birth, CatalogueEntry, Event, EventKind, Record, Sample, Sink, Source, Store,
};
use sparkplug_b::{DataType, PropertySet, PropertyValue, Quality, Value};
use tower::ServiceExt;

use super::commands::{Commands, Written, value_of};
use super::error::ApiError;
use super::{ApiState, openapi, router};
use crate::config::ReportsSection;
use crate::telemetry::Telemetry;

/// 2026-11-28T10:00:00Z.
const T0: i64 = 1_795_860_000_000;

fn sample(source: &Arc<Source>, metric: &str, ts: i64, value: Value) -> Record {
    Record::Sample(Sample {
        source: Arc::clone(source),
        metric: metric.into(),
        datatype: value.data_type(),
        timestamp_ms: ts,
        value: Some(value),
        is_historical: false,
        quality: Quality::Good,
        seq: Some(1),
        bd_seq: Some(0),
        received_at_ms: ts,
        outside_window: false,
    })
}

fn birth(source: &Arc<Source>, metrics: &[(&str, DataType)]) -> Record {
    Record::Birth(Birth {
        source: Arc::clone(source),
        bd_seq: Some(0),
        timestamp_ms: T0,
        received_at_ms: T0,
        metrics: metrics
            .iter()
            .enumerate()
            .map(|(i, (name, datatype))| CatalogueEntry {
                metric: (*name).into(),
                alias: Some(i as u64),
                datatype: *datatype,
                properties: None,
            })
            .collect(),
        templates: Default::default(),
    })
}

/// A catalogue with the `Compressor` template: two members and a parameter, version "1".
fn compressor_catalogue() -> sparkplug_b::TemplateCatalog {
    let mut catalogue = sparkplug_b::TemplateCatalog::new();
    let compressor = sparkplug_b::Template::definition(vec![
        sparkplug_b::Metric::new("Suction Pressure", 0.0),
        sparkplug_b::Metric::new("Running", false),
    ])
    .with_parameter(sparkplug_b::Parameter::new("Rated kW", 75.0))
    .with_version("1");
    catalogue.define("Compressor", compressor).unwrap();
    catalogue
}

fn event(source: &Arc<Source>, kind: EventKind, ts: i64) -> Record {
    Record::Event(Event {
        source: Some(Arc::clone(source)),
        kind,
        bd_seq: Some(0),
        timestamp_ms: ts,
    })
}

/// A store with one plant: node IcePlant/Plant1 and device BrineTank, a minute of brine
/// temperatures every 10 s, a seq gap.
async fn store() -> SqlStore {
    let store = SqlStore::connect("sqlite::memory:").await.unwrap();
    let node = Arc::new(Source::node("IcePlant", "Plant1"));
    let brine = Arc::new(Source::device("IcePlant", "Plant1", "BrineTank"));
    let mut batch = Batch::new();
    let mut node_birth = birth(&node, &[("Plant/Active Alarms", DataType::UInt64)]);
    if let Record::Birth(b) = &mut node_birth {
        b.templates = Arc::new(compressor_catalogue());
    }
    batch.push(node_birth);
    batch.push(event(&node, EventKind::Online, T0));
    let mut brine_birth = birth(
        &brine,
        &[
            ("Temperature", DataType::Double),
            ("Setpoint/Temperature", DataType::Double),
        ],
    );
    // The setpoint's range, as the simulated plant declares it.
    if let Record::Birth(b) = &mut brine_birth {
        b.metrics[1].properties = Some(
            PropertySet::new()
                .with("engLow", PropertyValue::new(-25.0))
                .with("engHigh", PropertyValue::new(-2.0)),
        );
    }
    batch.push(brine_birth);
    batch.push(event(&brine, EventKind::Online, T0));
    batch.push(sample(
        &node,
        "Plant/Active Alarms",
        T0,
        Value::UInt64(u64::MAX),
    ));
    for i in 0..6 {
        batch.push(sample(
            &brine,
            "Temperature",
            T0 + i * 10_000,
            Value::Double(-10.0 - i as f64),
        ));
    }
    batch.push(sample(
        &brine,
        "Setpoint/Temperature",
        T0,
        Value::Double(-11.0),
    ));
    batch.push(event(
        &node,
        EventKind::SeqGap {
            expected: 3,
            received: 5,
        },
        T0 + 30_000,
    ));
    let mut sink = store.sink();
    sink.write(&batch).await.unwrap();
    sink.flush().await.unwrap();
    store
}

/// Records the commands it is given; refuses writes of "Temperature" as the birth would.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

#[async_trait]
impl Commands for Recorder {
    async fn request_rebirth(&self, group: &str, node: &str) -> Result<(), ApiError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("rebirth {group}/{node}"));
        Ok(())
    }

    async fn write_metric(
        &self,
        group: &str,
        node: &str,
        device: Option<&str>,
        metric: &str,
        value: &Json,
    ) -> Result<Written, ApiError> {
        if metric == "Nope" {
            return Err(ApiError::not_found("no such metric"));
        }
        let value = value_of(value, DataType::Double).map_err(|m| ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "incompatible_value",
            message: m,
        })?;
        self.0
            .lock()
            .unwrap()
            .push(format!("write {group}/{node}/{device:?} {metric}"));
        Ok(Written {
            metric: metric.into(),
            datatype: DataType::Double,
            value,
        })
    }
}

async fn app_with(token: Option<&str>) -> (axum::Router, Arc<Recorder>) {
    let store: Arc<dyn Store> = Arc::new(store().await.query());
    let recorder = Arc::new(Recorder::default());
    let commands: Arc<dyn Commands> = recorder.clone();
    let state = ApiState::new(
        store,
        Some(commands),
        Arc::new(Telemetry::default()),
        ReportsSection::default().jobs,
    )
    .with_token(token.map(str::to_owned), false);
    (router(state), recorder)
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Json>,
    token: Option<&str>,
) -> (StatusCode, String, String) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    // Commands are JSON even without a body (guard.rs).
    if method != "GET" {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = match body {
        Some(body) => request.body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

/// A request with exactly these headers and body; the status and the JSON body.
async fn call_with(
    app: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> (StatusCode, Json) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(body.into()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{method} {uri}: {status} not JSON ({e}): {bytes:?}"));
    (status, json)
}

async fn get_json(app: &axum::Router, uri: &str) -> (StatusCode, Json) {
    let (status, content_type, body) = call(app, "GET", uri, None, None).await;
    assert!(
        content_type.starts_with("application/json"),
        "{uri}: {content_type} {body}"
    );
    (status, serde_json::from_str(&body).unwrap())
}

#[tokio::test]
async fn nodes_and_their_state() {
    let (app, _) = app_with(None).await;
    let (status, nodes) = get_json(&app, "/api/v1/nodes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(nodes[0]["group"], "IcePlant");
    assert_eq!(nodes[0]["online"], true);
    assert_eq!(nodes[0]["seq_gaps"], 1);
    let (status, node) = get_json(&app, "/api/v1/nodes/IcePlant/Plant1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(node["devices"][0]["device"], "BrineTank");
}

/// tck-id-payloads-template-definition-nbirth-only: a node's template definitions are its
/// template catalogue, served with their version, members and parameter defaults, from the
/// latest NBIRTH's certificate, and never as metrics.
#[tokio::test]
async fn the_template_catalogue_of_a_node() {
    let (app, _) = app_with(None).await;
    let (status, body) = get_json(&app, "/api/v1/nodes/IcePlant/Plant1/templates").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let templates = body["templates"].as_array().unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0]["name"], "Compressor");
    let def = &templates[0]["definition"];
    assert_eq!(def["version"], "1");
    assert_eq!(def["is_definition"], true);
    assert_eq!(def["metrics"][0]["name"], "Suction Pressure");
    assert_eq!(def["parameters"][0]["name"], "Rated kW");
    assert!(body["birth_id"].is_i64());
    let (_, metrics) = get_json(&app, "/api/v1/nodes/IcePlant/Plant1/metrics").await;
    assert!(
        !metrics.to_string().contains("\"Compressor"),
        "a definition is not a metric: {metrics}"
    );
    let (status, _) = get_json(&app, "/api/v1/nodes/IcePlant/Nope/templates").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_things_are_404_with_a_json_error() {
    let (app, _) = app_with(None).await;
    for uri in [
        "/api/v1/nodes/IcePlant/Nope",
        "/api/v1/nodes/IcePlant/Plant1/devices/Nope/metrics",
        "/api/v1/nodes/IcePlant/Plant1/metrics/Not%20There",
        "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/history?metric=Nope",
        "/api/v1/no/such/route",
    ] {
        let (status, body) = get_json(&app, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(body["error"], "not_found", "{uri}");
    }
}

#[tokio::test]
async fn the_catalogue_carries_latest_values_and_names_with_slashes_and_spaces() {
    let (app, _) = app_with(None).await;
    let (status, metrics) = get_json(
        &app,
        "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/metrics",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let temp = metrics
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Temperature")
        .unwrap();
    assert_eq!(temp["latest"]["value"], -15.0);
    let (status, one) = get_json(
        &app,
        "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/metrics/Setpoint/Temperature",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["latest"]["value"], -11.0);
    let (status, alarms) = get_json(
        &app,
        "/api/v1/nodes/IcePlant/Plant1/metrics/Plant/Active%20Alarms",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{alarms}");
    // u64 extremes survive the store and the JSON.
    assert_eq!(alarms["latest"]["value"].as_u64(), Some(u64::MAX));
}

#[tokio::test]
async fn history_raw_bucketed_and_csv() {
    let (app, _) = app_with(None).await;
    let base = "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/history?metric=Temperature";
    let range = format!("&from={T0}&to={}", T0 + 60_000);
    let (status, raw) = get_json(&app, &format!("{base}{range}")).await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    assert_eq!(raw["samples"].as_array().unwrap().len(), 6);
    // Two buckets of 30 s: -10,-11,-12 and -13,-14,-15.
    let (status, buckets) = get_json(&app, &format!("{base}{range}&bucket=30s")).await;
    assert_eq!(status, StatusCode::OK, "{buckets}");
    let b = &buckets["buckets"];
    assert_eq!(
        (b[0]["count"].as_u64(), b[0]["avg"].as_f64()),
        (Some(3), Some(-11.0))
    );
    assert_eq!(
        (b[1]["min"].as_f64(), b[1]["max"].as_f64()),
        (Some(-15.0), Some(-13.0))
    );
    assert_eq!(
        (b[1]["first"].as_f64(), b[1]["last"].as_f64()),
        (Some(-13.0), Some(-15.0))
    );
    let (_, points) = get_json(&app, &format!("{base}{range}&bucket=30s&agg=max")).await;
    assert_eq!(points["points"][0]["value"], -10.0);
    let (status, content_type, csv) = call(
        &app,
        "GET",
        &format!("{base}{range}&format=csv"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"));
    assert_eq!(csv.lines().count(), 7, "{csv}");
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{T0},2026-11-28T10:00:00.000Z,-10.0,192,false")),
        "{csv}"
    );
}

#[tokio::test]
async fn bad_parameters_are_400_never_500() {
    let (app, _) = app_with(None).await;
    let base = "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/history";
    for uri in [
        base.to_string(),
        format!("{base}?metric=Temperature&from=yesterday"),
        format!("{base}?metric=Temperature&from={T0}&to={T0}"),
        format!("{base}?metric=Temperature&bucket=0s"),
        format!("{base}?metric=Temperature&bucket=1m&agg=median"),
        format!("{base}?metric=Temperature&agg=avg"),
        format!("{base}?metric=Temperature&limit=0"),
        format!("{base}?metric=Temperature&format=xml"),
        format!("{base}?metric=Temperature&colour=red"),
        "/api/v1/events?kind=party".to_owned(),
        "/api/v1/events?node=Plant1".to_owned(),
        "/api/v1/events?limit=-1".to_owned(),
    ] {
        let (status, body) = get_json(&app, &uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"], "bad_request");
    }
}

#[tokio::test]
async fn events_filter_by_kind_and_node() {
    let (app, _) = app_with(None).await;
    let (status, gaps) = get_json(
        &app,
        "/api/v1/events?kind=seq_gap&group=IcePlant&node=Plant1",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gaps.as_array().unwrap().len(), 1);
    assert_eq!(gaps[0]["detail"]["expected"], 3);
    let (_, all) = get_json(&app, "/api/v1/events").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn commands_reach_the_host_and_need_the_token_when_one_is_set() {
    let (app, recorder) = app_with(Some("s3cret")).await;
    let write = json!({ "metric": "Setpoint/Temperature", "value": -12.0 });
    let uri = "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/write";
    let (status, _, _) = call(&app, "POST", uri, Some(write.clone()), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = call(&app, "POST", uri, Some(write.clone()), Some("wrong!")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = call(&app, "POST", uri, Some(write), Some("s3cret")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = call(
        &app,
        "POST",
        uri,
        Some(json!({"metric": "Setpoint/Temperature", "value": "cold"})),
        Some("s3cret"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _, body) = call(
        &app,
        "POST",
        uri,
        Some(json!({"metric": "Setpoint/Temperature"})),
        Some("s3cret"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, _) = call(
        &app,
        "POST",
        "/api/v1/nodes/IcePlant/Plant1/rebirth",
        None,
        Some("s3cret"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Reads stay open.
    let (status, _) = get_json(&app, "/api/v1/nodes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        *recorder.0.lock().unwrap(),
        [
            "write IcePlant/Plant1/Some(\"BrineTank\") Setpoint/Temperature",
            "rebirth IcePlant/Plant1"
        ]
    );
}

#[tokio::test]
async fn without_a_host_commands_are_503() {
    let store: Arc<dyn Store> = Arc::new(store().await.query());
    let app = router(ApiState::new(
        store,
        None,
        Arc::new(Telemetry::default()),
        Vec::new(),
    ));
    let (status, _, body) = call(
        &app,
        "POST",
        "/api/v1/nodes/IcePlant/Plant1/rebirth",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

#[tokio::test]
async fn every_documented_route_exists() {
    let (app, _) = app_with(None).await;
    for route in openapi::ROUTES {
        let uri = format!("/api/v1{}", route.path)
            .replace("{group}", "IcePlant")
            .replace("{node}", "Plant1")
            .replace("{device}", "BrineTank")
            .replace("{job}", "rollup_1m");
        let metric = if route.path.contains("{device}") {
            "Temperature"
        } else {
            "Plant%2FActive%20Alarms"
        };
        let uri = uri.replace("{metric}", metric);
        let uri = if route.query.iter().any(|q| q.0 == "metric") {
            format!("{uri}?metric={metric}")
        } else {
            uri
        };
        let body = route
            .write_body
            .then(|| json!({"metric": "Temperature", "value": 1.0}));
        let (status, _, text) = call(&app, &route.method.to_uppercase(), &uri, body, None).await;
        // No host runs here, so the live stream answers 503 (web::stream's tests open it).
        let wanted = if route.path == "/stream" {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
        assert_eq!(status, wanted, "{} {uri}: {text}", route.method);
    }
    let (_, doc) = get_json(&app, "/api/v1/openapi.json").await;
    assert_eq!(
        doc["paths"].as_object().unwrap().len(),
        openapi::ROUTES
            .iter()
            .map(|r| r.path)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
}

#[test]
fn api_reference_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/API.md");
    let expected = openapi::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/API.md is stale: run UPDATE_DOCS=1 cargo test -p reference-app api_reference"
    );
}

#[tokio::test]
async fn health_readiness_and_prometheus() {
    let (app, _) = app_with(None).await;
    let (status, _, _) = call(&app, "GET", "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, content_type, text) = call(&app, "GET", "/metrics", None, None).await;
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    assert!(text.contains("iceplant_metrics_total 0"));
    // No host connected yet: not ready.
    let (status, _, body) = call(&app, "GET", "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

/// tck-id-intro-group-id-chars, tck-id-intro-edge-node-id-chars, tck-id-intro-device-id-chars,
/// tck-id-topic-structure-namespace-valid-group-id: a path parameter that could not go on the
/// wire is a 400 naming the id and the rule, and no command reaches the host. (Before: `POST
/// /api/v1/nodes/a%01b/N1/rebirth` answered 200 and published an NCMD on that topic, and the
/// broker dropped the host's connection.)
#[tokio::test]
async fn ids_that_cannot_go_on_the_wire_are_400_and_nothing_is_sent() {
    let (app, recorder) = app_with(None).await;
    let json = [("content-type", "application/json")];
    for (method, uri, id, rule) in [
        (
            "POST",
            "/api/v1/nodes/a%01b/N1/rebirth",
            "group_id",
            "tck-id-intro-group-id-chars",
        ),
        (
            "POST",
            "/api/v1/nodes/IcePlant/N%7F/rebirth",
            "edge_node_id",
            "tck-id-intro-edge-node-id-chars",
        ),
        (
            "POST",
            "/api/v1/nodes/IcePlant/Plant1/devices/D%EF%BF%BE/write",
            "device_id",
            "tck-id-intro-device-id-chars",
        ),
        (
            "POST",
            "/api/v1/nodes/IcePlant/N%2B/write",
            "edge_node_id",
            "tck-id-topic-structure-namespace-valid-edge-node-id",
        ),
        (
            "GET",
            "/api/v1/nodes/G%2FH/Plant1",
            "group_id",
            "tck-id-topic-structure-namespace-valid-group-id",
        ),
        (
            "GET",
            "/api/v1/nodes/IcePlant/Plant1/devices/%C2%85/metrics",
            "device_id",
            "tck-id-intro-device-id-chars",
        ),
    ] {
        let body = json!({"metric": "Setpoint/Temperature", "value": -12.0}).to_string();
        let (status, answer) = call_with(&app, method, uri, &json, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {answer}");
        assert_eq!(answer["error"], "invalid_id", "{uri}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(id) && message.contains(rule),
            "{uri}: {message}"
        );
    }
    let long = format!("/api/v1/nodes/{}/N1/rebirth", "g".repeat(21_840));
    let (status, answer) = call_with(&app, "POST", &long, &json, "{}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    // Not UTF-8 once decoded: a JSON 400 too.
    let (status, answer) = call_with(&app, "GET", "/api/v1/nodes/%FF/N1", &[], Body::empty()).await;
    assert_eq!(
        (status, &answer["error"]),
        (StatusCode::BAD_REQUEST, &json!("bad_request"))
    );
    assert!(recorder.0.lock().unwrap().is_empty());
}

/// Commands cannot be forged by another web page: a cross-origin `text/plain` POST (which a
/// browser sends without a CORS preflight) is 415, a foreign `Origin` is 403, a `Host` that is
/// neither an address, `localhost` nor an allowed name is 421 (DNS rebinding); the dashboard's
/// own requests pass.
#[tokio::test]
async fn commands_cannot_be_forged_from_another_page() {
    let (app, recorder) = app_with(None).await;
    let uri = "/api/v1/nodes/IcePlant/Plant1/rebirth";
    let host = ("host", "127.0.0.1:8080");
    for (headers, wanted, code) in [
        (
            vec![
                host,
                ("content-type", "text/plain"),
                ("origin", "http://127.0.0.1:8080"),
            ],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            vec![host],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            vec![host, ("content-type", "application/x-www-form-urlencoded")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            vec![
                host,
                ("content-type", "application/json"),
                ("origin", "http://evil.example"),
            ],
            StatusCode::FORBIDDEN,
            "forbidden_origin",
        ),
        (
            vec![
                host,
                ("content-type", "application/json"),
                ("origin", "null"),
            ],
            StatusCode::FORBIDDEN,
            "forbidden_origin",
        ),
        (
            vec![
                ("host", "evil.example:8080"),
                ("content-type", "application/json"),
            ],
            StatusCode::MISDIRECTED_REQUEST,
            "misdirected",
        ),
    ] {
        let (status, answer) = call_with(&app, "POST", uri, &headers, "{}").await;
        assert_eq!(status, wanted, "{headers:?}: {answer}");
        assert_eq!(answer["error"], code, "{headers:?}");
    }
    // DNS rebinding reads are refused too.
    let (status, _) = call_with(
        &app,
        "GET",
        "/api/v1/nodes",
        &[("host", "rebind.evil.example")],
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    assert!(recorder.0.lock().unwrap().is_empty());
    // What the dashboard sends, from its own origin.
    let dashboard = [
        host,
        ("content-type", "application/json"),
        ("origin", "http://127.0.0.1:8080"),
    ];
    let (status, answer) = call_with(&app, "POST", uri, &dashboard, Body::empty()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(*recorder.0.lock().unwrap(), ["rebirth IcePlant/Plant1"]);
}

/// `api.allowed_hosts`: the names of a reverse proxy, for Host and Origin.
#[tokio::test]
async fn allowed_hosts_let_a_reverse_proxy_through() {
    let store: Arc<dyn Store> = Arc::new(store().await.query());
    let app = router(
        ApiState::new(store, None, Arc::new(Telemetry::default()), Vec::new())
            .with_allowed_hosts(&["plant.example.com".to_owned()]),
    );
    let (status, _) = call_with(
        &app,
        "GET",
        "/api/v1/nodes",
        &[
            ("host", "plant.example.com"),
            ("origin", "https://plant.example.com"),
        ],
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call_with(
        &app,
        "GET",
        "/api/v1/nodes",
        &[("host", "other.example.com")],
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
}

/// `Authorization: bearer` is case-insensitive (RFC 9110 section 11.1).
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let (app, recorder) = app_with(Some("s3cret")).await;
    let uri = "/api/v1/nodes/IcePlant/Plant1/rebirth";
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} s3cret");
        let headers = [
            ("content-type", "application/json"),
            ("authorization", auth.as_str()),
        ];
        let (status, answer) = call_with(&app, "POST", uri, &headers, "{}").await;
        assert_eq!(status, StatusCode::OK, "{scheme}: {answer}");
    }
    assert_eq!(recorder.0.lock().unwrap().len(), 3);
}

/// A body over the limit is 413, whether it says its length or not.
#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let (app, recorder) = app_with(None).await;
    let uri = "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/write";
    let big = json!({"metric": "x".repeat(super::guard::MAX_BODY_BYTES), "value": 1}).to_string();
    let length = big.len().to_string();
    let (status, answer) = call_with(
        &app,
        "POST",
        uri,
        &[
            ("content-type", "application/json"),
            ("content-length", &length),
        ],
        big.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(answer["error"], "payload_too_large");
    // Streamed without a length: the JSON extractor's limit.
    let stream = Body::from_stream(futures_util::stream::iter([Ok::<_, std::io::Error>(
        big.into_bytes(),
    )]));
    let (status, answer) = call_with(
        &app,
        "POST",
        uri,
        &[("content-type", "application/json")],
        stream,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(recorder.0.lock().unwrap().is_empty());
}

/// A setpoint outside the range its birth declares (engLow..engHigh: the plant's limits), NaN
/// and the infinities are 422; nothing is sent.
#[tokio::test]
async fn setpoints_outside_the_plant_limits_nan_and_infinities_are_422() {
    let (app, recorder) = app_with(None).await;
    let uri = "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/write";
    let json = [("content-type", "application/json")];
    for value in [
        json!(-30.0),
        json!(0.0),
        json!(-1.9),
        json!("NaN"),
        json!("Infinity"),
        json!("-Infinity"),
    ] {
        let body = json!({"metric": "Setpoint/Temperature", "value": value}).to_string();
        let (status, answer) = call_with(&app, "POST", uri, &json, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{value}: {answer}"
        );
    }
    let body = json!({"metric": "Setpoint/Temperature", "value": -30.0}).to_string();
    let (_, answer) = call_with(&app, "POST", uri, &json, body).await;
    assert_eq!(answer["error"], "out_of_range");
    assert!(recorder.0.lock().unwrap().is_empty());
    for ok in [-25.0, -2.0, -12.5] {
        let body = json!({"metric": "Setpoint/Temperature", "value": ok}).to_string();
        let (status, answer) = call_with(&app, "POST", uri, &json, body).await;
        assert_eq!(status, StatusCode::OK, "{ok}: {answer}");
    }
}

/// Lists page: `limit` and `offset`, the same JSON array, a `Link` to the next page while
/// more rows follow.
#[tokio::test]
async fn lists_page_with_a_link_to_the_next_page() {
    let (app, _) = app_with(None).await;
    let mut uri = "/api/v1/events?limit=2".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let request = Request::get(&uri).body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let link = response
            .headers()
            .get(header::LINK)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let rows: Json = serde_json::from_slice(&bytes).unwrap();
        seen.extend(rows.as_array().unwrap().iter().map(|e| e["id"].clone()));
        pages += 1;
        match link {
            Some(link) => {
                let next = link
                    .strip_prefix('<')
                    .and_then(|l| l.split_once(">; rel=\"next\""))
                    .map(|(url, _)| url.to_owned())
                    .unwrap();
                assert!(next.starts_with("/api/v1/events?"), "{next}");
                uri = next;
            }
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (2, 3));
    let (_, all) = get_json(&app, "/api/v1/events").await;
    let ids: Vec<Json> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(seen, ids, "pages neither repeat nor skip an event");
    // The catalogue lists page too.
    let (status, page) = get_json(
        &app,
        "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/metrics?limit=1&offset=1",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.as_array().unwrap().len(), 1);
    for uri in [
        "/api/v1/nodes?limit=0",
        "/api/v1/nodes?limit=10001",
        "/api/v1/nodes?offset=-1",
        "/api/v1/nodes?colour=red",
        "/api/v1/nodes/IcePlant/Plant1/births?limit=1001",
        "/api/v1/events?limit=10001",
    ] {
        let (status, body) = get_json(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
    }
}
