//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. A test walks
//! [`ROUTES`] against the router, so the document cannot list a route that does not exist.

use axum::Json;
use serde_json::{Value, json};

/// One documented operation.
pub(super) struct Route {
    /// `get` or `post`.
    pub(super) method: &'static str,
    /// The path under `/api/v1`, with `{params}`.
    pub(super) path: &'static str,
    /// What it does.
    pub(super) summary: &'static str,
    /// Query parameters: (name, required, description).
    pub(super) query: &'static [(&'static str, bool, &'static str)],
    /// Whether it takes the write body.
    pub(super) write_body: bool,
    /// For a list: its `limit` (default, maximum); it takes `offset` too and answers a `Link`
    /// to the next page (paging.rs).
    pub(super) page: Option<(u32, u32)>,
    /// Whether `format=csv` answers `text/csv`.
    pub(super) csv: bool,
}

const CATALOGUE: Option<(u32, u32)> = Some((1000, 10_000));

const TIME: &str = "RFC 3339, ms since the epoch, `now`, or a duration before now (`-1h`)";

const HISTORY_QUERY: &[(&str, bool, &str)] = &[
    (
        "metric",
        true,
        "The metric's name, percent-encoded (`Brine%2FTemperature`).",
    ),
    ("from", false, TIME),
    (
        "to",
        false,
        "End, exclusive (default now); same forms as from.",
    ),
    (
        "bucket",
        false,
        "Bucket length (`1m`, `1h`): aggregates instead of raw samples.",
    ),
    (
        "agg",
        false,
        "With bucket: one aggregate as points (count, min, max, avg, first, last).",
    ),
    (
        "limit",
        false,
        "Raw samples: at most this many (default 10000, max 100000).",
    ),
    ("format", false, "`json` (default) or `csv`."),
];

/// Every operation of `/api/v1`.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: "get",
        path: "/nodes",
        summary: "Edge nodes with their state.",
        query: &[],
        write_body: false,
        page: CATALOGUE,
        csv: false,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}",
        summary: "One edge node with its devices.",
        query: &[],
        write_body: false,
        page: None,
        csv: false,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}/devices",
        summary: "The devices of an edge node.",
        query: &[],
        write_body: false,
        page: CATALOGUE,
        csv: false,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}/births",
        summary: "Birth certificates, newest first.",
        query: &[("device", false, "A device's births instead of the node's.")],
        write_body: false,
        page: Some((10, 1000)),
        csv: false,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}/templates",
        summary: "The node's template catalogue: the template definitions (UDTs) of its latest NBIRTH, with versions, members and parameter defaults.",
        query: &[],
        write_body: false,
        page: None,
        csv: false,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}/metrics",
        summary: "The node's metric catalogue with latest values.",
        query: &[],
        write_body: false,
        page: CATALOGUE,
        csv: false,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}/metrics/{metric}",
        summary: "One node metric; the name may contain `/`.",
        query: &[],
        write_body: false,
        page: None,
        csv: false,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}/history",
        summary: "History of a node metric: raw or bucketed, JSON or CSV.",
        query: HISTORY_QUERY,
        write_body: false,
        page: None,
        csv: true,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}/devices/{device}/metrics",
        summary: "A device's metric catalogue with latest values.",
        query: &[],
        write_body: false,
        page: CATALOGUE,
        csv: false,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}/devices/{device}/metrics/{metric}",
        summary: "One device metric; the name may contain `/`.",
        query: &[],
        write_body: false,
        page: None,
        csv: false,
    },
    Route {
        method: "get",
        path: "/nodes/{group}/{node}/devices/{device}/history",
        summary: "History of a device metric: raw or bucketed, JSON or CSV.",
        query: HISTORY_QUERY,
        write_body: false,
        page: None,
        csv: true,
    },
    Route {
        method: "get",
        path: "/events",
        summary: "Lifecycle events, newest first.",
        query: &[
            (
                "kind",
                false,
                "online, offline, seq_gap, rebirth_requested or violation.",
            ),
            ("group", false, "Only this group."),
            ("node", false, "Only this edge node (with group)."),
            ("from", false, TIME),
            ("to", false, "End, exclusive."),
        ],
        write_body: false,
        page: Some((100, 10_000)),
        csv: false,
    },
    Route {
        method: "get",
        path: "/reports",
        summary: "The report jobs and their watermarks.",
        query: &[],
        write_body: false,
        page: None,
        csv: false,
    },
    Route {
        method: "get",
        path: "/reports/{job}",
        summary: "A job's report rows, JSON or CSV.",
        query: &[
            ("key", false, "Only this key."),
            ("from", false, TIME),
            ("to", false, "Windows starting before."),
            ("format", false, "`json` (default) or `csv`."),
        ],
        write_body: false,
        page: Some((1000, 100_000)),
        csv: true,
    },
    Route {
        method: "get",
        path: "/stream",
        summary: "Live events as server-sent events (`text/event-stream`): `hello`, then `metrics`, `presence` and `event` as the host receives them, `lagged` when a slow client skipped some (docs/DASHBOARD.md). 503 without a host application.",
        query: &[],
        write_body: false,
        page: None,
        csv: false,
    },
    Route {
        method: "post",
        path: "/nodes/{group}/{node}/rebirth",
        summary: "Sends NCMD Node Control/Rebirth.",
        query: &[],
        write_body: false,
        page: None,
        csv: false,
    },
    Route {
        method: "post",
        path: "/nodes/{group}/{node}/write",
        summary: "Writes a node metric (NCMD), typed by its birth.",
        query: &[],
        write_body: true,
        page: None,
        csv: false,
    },
    Route {
        method: "post",
        path: "/nodes/{group}/{node}/devices/{device}/write",
        summary: "Writes a device metric (DCMD), typed by its birth.",
        query: &[],
        write_body: true,
        page: None,
        csv: false,
    },
    Route {
        method: "get",
        path: "/openapi.json",
        summary: "This document.",
        query: &[],
        write_body: false,
        page: None,
        csv: false,
    },
];

impl Route {
    /// Whether `api.protect_reads` can put the route behind the token (every read under
    /// `/api/v1` but this document).
    fn protected_reads(&self) -> bool {
        self.path != "/openapi.json"
    }
}

/// An example value of a parameter, from the plant the app simulates (clients and the API
/// fuzz in CI start from these).
fn example(name: &str) -> Option<&'static str> {
    Some(match name {
        "group" => "IcePlant",
        "node" => "Plant1",
        "device" => "BrineTank",
        "metric" => "Temperature",
        "job" => "rollup_1m",
        "from" => "-1h",
        "to" => "now",
        "bucket" => "1m",
        "agg" => "avg",
        "format" => "json",
        "kind" => "online",
        _ => return None,
    })
}

/// The schema of a path parameter: the Sparkplug ids are strings the id newtypes accept (no
/// `+`, `/`, `#` or control characters; noncharacters and the byte bound are checked too).
fn path_schema(name: &str) -> Value {
    match name {
        "group" | "node" | "device" => json!({
            "type": "string",
            "minLength": 1,
            "maxLength": sparkplug_b::topic::MAX_ID_BYTES,
            "pattern": "^[^+/#\\u0000-\\u001f\\u007f-\\u009f\\ufdd0-\\ufdef\\ufffe\\uffff]+$"
        }),
        _ => json!({ "type": "string" }),
    }
}

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let mut param = json!({ "name": name, "in": "path", "required": true, "schema": path_schema(name) });
            if let Some(example) = example(name) {
                param["example"] = json!(example);
            }
            param
        })
        .collect()
}

fn operation(route: &Route) -> Value {
    let mut params = path_params(route.path);
    params.extend(route.query.iter().map(|(name, required, description)| {
        let mut param = json!({ "name": name, "in": "query", "required": required, "description": description, "schema": { "type": "string" } });
        if let Some(example) = example(name) {
            param["example"] = json!(example);
        }
        param
    }));
    if let Some((default, max)) = route.page {
        params.push(json!({
            "name": "limit", "in": "query", "required": false,
            "description": format!("At most this many (default {default}, max {max})."),
            "schema": { "type": "integer", "minimum": 1, "maximum": max, "default": default }
        }));
        params.push(json!({
            "name": "offset", "in": "query", "required": false,
            "description": "After skipping this many (default 0); follow the `Link` header's `rel=\"next\"` instead of counting.",
            "schema": { "type": "integer", "minimum": 0, "maximum": i64::MAX }
        }));
    }
    let error = json!({ "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let mut ok = json!({ "description": "OK", "content": { "application/json": {} } });
    if route.csv {
        ok["content"]["text/csv"] = json!({});
    }
    if route.path == "/stream" {
        ok["content"] = json!({ "text/event-stream": {} });
    }
    if route.page.is_some() {
        ok["content"]["application/json"]["schema"] = json!({ "type": "array" });
        ok["headers"] = json!({ "Link": {
            "description": "`<...?limit=L&offset=N>; rel=\"next\"` while more rows follow.",
            "schema": { "type": "string" }
        } });
    }
    let mut responses = json!({
        "200": ok,
        "400": error.clone(),
        "403": error.clone(),
        "404": error.clone(),
        "421": error.clone(),
        "503": error.clone(),
    });
    let mut op = json!({ "summary": route.summary, "parameters": params });
    if route.method == "post" {
        responses["401"] = error.clone();
        responses["409"] = error.clone();
        responses["413"] = error.clone();
        responses["415"] = error.clone();
        responses["422"] = error;
        op["security"] = json!([{ "bearer": [] }, {}]);
    } else if route.protected_reads() {
        responses["401"] = error;
        op["security"] = json!([{ "bearer": [] }, {}]);
    }
    if route.write_body {
        op["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Write" } } }
        });
    }
    op["responses"] = responses;
    op
}

/// The document.
pub(super) fn build() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        entry[route.method] = operation(route);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Ice plant reference app API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Sparkplug B edge nodes, devices, metrics, history, events, reports and commands."
        },
        "servers": [{ "url": "/api/v1" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": { "error": { "type": "string" }, "message": { "type": "string" } }
                },
                "Write": {
                    "type": "object",
                    "required": ["metric", "value"],
                    "properties": {
                        "metric": { "type": "string", "description": "The metric's name as its birth declared it." },
                        "value": { "description": "A number, boolean or string that fits the metric's datatype." }
                    }
                }
            }
        }
    })
}

/// `GET /api/v1/openapi.json`
pub(super) async fn document() -> Json<Value> {
    Json(build())
}

/// `docs/API.md`: the document as Markdown, one section per route (written by a test).
#[cfg(test)]
pub(super) fn markdown() -> String {
    let mut out = String::from(
        "# REST API reference\n\n\
         Generated from the OpenAPI document the app serves at `/api/v1/openapi.json` \
         (`UPDATE_DOCS=1 cargo test -p reference-app api_reference` rewrites this file; the same \
         test fails when it is stale).\n\n\
         Every route is under `/api/v1`. Errors are JSON, `{\"error\": \"not_found\", \"message\": \"...\"}`, \
         with status 400 (bad parameter; `invalid_id` for a group, node or device id that could \
         not go on the wire, naming the rule), 401 (token needed), 403 (`forbidden_origin`), 404 \
         (unknown node, device, metric or route; a command for an edge node or device the host \
         has never seen), 409 (node or device offline), 413 (body over 64 KiB), 415 (a command \
         without `Content-Type: application/json`), 421 (`misdirected`: a `Host` the API does \
         not answer for), 422 (a value the birth does not allow: wrong type, outside the \
         `engLow`..`engHigh` range its birth declares, NaN or an infinity) or 503 (store or host \
         unavailable). Times: RFC 3339, ms since the epoch, `now`, or a duration before now \
         (`-1h`). Metric names go in the `metric` query parameter or after `/metrics/`, \
         percent-encoded (`Brine%2FTemperature`, `Node%20Control%2FRebirth`).\n\n\
         Requests from browsers: the `Host` must be an IP address, `localhost` or a name in \
         `api.allowed_hosts` (421 otherwise: DNS rebinding), an `Origin` must be the API's own \
         (403 otherwise), and commands need `Content-Type: application/json`, which a page of \
         another origin cannot send without a CORS preflight the API does not answer.\n\n\
         Lists page: `limit` (each list has a default and a maximum) and `offset`; the answer is \
         the same JSON array, and while more rows follow a `Link: <...>; rel=\"next\"` header \
         gives the next page's URL.\n\n\
         Beside the API: `GET /healthz`, `GET /readyz` and `GET /metrics` (Prometheus).\n",
    );
    for route in ROUTES {
        out.push_str(&format!(
            "\n## `{} /api/v1{}`\n\n{}\n",
            route.method.to_uppercase(),
            route.path,
            route.summary
        ));
        if !route.query.is_empty() || route.page.is_some() {
            out.push_str("\n| Query parameter | Required | Meaning |\n|---|---|---|\n");
            for (name, required, description) in route.query {
                let required = if *required { "yes" } else { "no" };
                out.push_str(&format!("| `{name}` | {required} | {description} |\n"));
            }
            if let Some((default, max)) = route.page {
                out.push_str(&format!(
                    "| `limit` | no | At most this many (default {default}, max {max}). |\n\
                     | `offset` | no | After skipping this many; the `Link` header (`rel=\"next\"`) gives the next page. |\n"
                ));
            }
        }
        if route.write_body {
            out.push_str(
                "\nBody: `{\"metric\": \"BrineTank/Setpoint/Temperature\", \"value\": -11.0}`.\n",
            );
        }
        if route.method == "post" {
            out.push_str(
                "\nNeeds `Authorization: Bearer <token>` when the app has an API token.\n",
            );
        }
    }
    out
}
