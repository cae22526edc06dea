//! What every request must be before a handler sees it, so that another web page cannot use the
//! browser of someone on the plant network to read the API or send commands:
//!
//! - its `Host` names the API: an IP address, `localhost`, or a name in `api.allowed_hosts`;
//!   any other name means a DNS name pointed at this address by someone else (DNS rebinding),
//!   answered `421 Misdirected Request`;
//! - its `Origin`, when a browser sends one, is the API's own (the same authority as `Host`, or
//!   a name in `api.allowed_hosts`); a page of another origin gets `403 Forbidden`;
//! - a write (any method but GET, HEAD and OPTIONS) says `Content-Type: application/json`,
//!   which no cross-origin form or simple `fetch` can send without a CORS preflight the API
//!   never answers: `415 Unsupported Media Type` otherwise;
//! - its body holds at most [`MAX_BODY_BYTES`]: `413 Payload Too Large` otherwise.
//!
//! `docs/API.md` describes the same rules for clients.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

use super::ApiState;
use super::error::ApiError;

/// The largest request body the API reads: a write body is a metric name and a value.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// The host names a request may name beside IP addresses and `localhost`: `api.allowed_hosts`,
/// lower-cased; `*` allows every name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// The names of `api.allowed_hosts` (a trailing dot and the case do not matter).
    pub(crate) fn new(names: &[String]) -> Self {
        AllowedHosts(names.iter().map(|n| normalise(n)).collect())
    }

    /// Whether a request may name `host` (a host name or address, without port).
    fn allows(&self, host: &str) -> bool {
        let host = normalise(host);
        host == "localhost"
            || host.parse::<IpAddr>().is_ok()
            || self
                .0
                .iter()
                .any(|allowed| allowed == "*" || *allowed == host)
    }

    /// Whether `name` is listed in `api.allowed_hosts` itself.
    fn lists(&self, host: &str) -> bool {
        let host = normalise(host);
        self.0
            .iter()
            .any(|allowed| allowed == "*" || *allowed == host)
    }
}

fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The host part of an authority (`name:port`, `[v6]:port`, `name`).
fn host_of(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split_once(']').map_or(v6, |(host, _)| host);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

fn header(headers: &HeaderMap, name: axum::http::HeaderName) -> Option<&str> {
    headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"))
}

/// Checks `Host` and `Origin` (every route it wraps) and, for writes, the content type and the
/// declared body length.
pub(super) async fn requests(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    check(
        &state.inner.allowed_hosts,
        request.method(),
        request.headers(),
    )?;
    Ok(next.run(request).await)
}

fn check(allowed: &AllowedHosts, method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    // HTTP/1.1 requires Host; a request without one was not sent by a browser.
    let host = header(headers, HOST);
    if let Some(host) = host {
        if !allowed.allows(host_of(host)) {
            return Err(ApiError::misdirected(host));
        }
    }
    if let Some(origin) = header(headers, ORIGIN) {
        let authority = origin.split_once("://").map(|(_, rest)| rest);
        let own = match (authority, host) {
            (Some(authority), Some(host)) => {
                authority.eq_ignore_ascii_case(host) || allowed.lists(host_of(authority))
            }
            (Some(authority), None) => allowed.lists(host_of(authority)),
            // `Origin: null` (a sandboxed page, a file) is never the API's own.
            (None, _) => false,
        };
        if !own {
            return Err(ApiError::forbidden_origin(origin));
        }
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let json = header(headers, CONTENT_TYPE).is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json {
        return Err(ApiError::unsupported_media_type());
    }
    let declared = header(headers, CONTENT_LENGTH).and_then(|n| n.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(ApiError::payload_too_large());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use axum::http::StatusCode;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn status(allowed: &[&str], method: Method, pairs: &[(&'static str, &str)]) -> StatusCode {
        let allowed =
            AllowedHosts::new(&allowed.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        match check(&allowed, &method, &headers(pairs)) {
            Ok(()) => StatusCode::OK,
            Err(e) => e.status,
        }
    }

    #[test]
    fn hosts_are_addresses_localhost_or_allowed_names() {
        for host in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "10.1.2.3",
            "localhost:8080",
            "LOCALHOST.",
        ] {
            assert_eq!(
                status(&[], Method::GET, &[("host", host)]),
                StatusCode::OK,
                "{host}"
            );
        }
        for host in [
            "attacker.example:8080",
            "localhost.attacker.example",
            "plant",
        ] {
            assert_eq!(
                status(&[], Method::GET, &[("host", host)]),
                StatusCode::MISDIRECTED_REQUEST,
                "{host}"
            );
        }
        assert_eq!(
            status(
                &["Plant.Example"],
                Method::GET,
                &[("host", "plant.example:443")]
            ),
            StatusCode::OK
        );
        assert_eq!(
            status(&["*"], Method::GET, &[("host", "anything:1")]),
            StatusCode::OK
        );
    }

    #[test]
    fn origins_must_be_the_api_s_own() {
        let own = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ];
        assert_eq!(status(&[], Method::GET, &own), StatusCode::OK);
        for origin in ["http://evil.example", "null", "http://127.0.0.1:9999"] {
            assert_eq!(
                status(
                    &[],
                    Method::GET,
                    &[("host", "127.0.0.1:8080"), ("origin", origin)]
                ),
                StatusCode::FORBIDDEN,
                "{origin}"
            );
        }
        // Behind a reverse proxy that rewrites Host, the public name is allowed explicitly.
        assert_eq!(
            status(
                &["plant.example"],
                Method::GET,
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "https://plant.example")
                ]
            ),
            StatusCode::OK
        );
    }

    #[test]
    fn writes_need_json_and_a_bounded_body() {
        let json = [("content-type", "application/json; charset=utf-8")];
        assert_eq!(status(&[], Method::POST, &json), StatusCode::OK);
        for t in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ] {
            assert_eq!(
                status(&[], Method::POST, &[("content-type", t)]),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{t}"
            );
        }
        assert_eq!(
            status(&[], Method::DELETE, &[]),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(status(&[], Method::GET, &[]), StatusCode::OK);
        assert_eq!(
            status(
                &[],
                Method::POST,
                &[
                    ("content-type", "application/json"),
                    ("content-length", "65537")
                ]
            ),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
