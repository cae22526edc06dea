//! [`ApiError`]: every failure of the API as a JSON body with a status that fits.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use spark_sink::QueryError;
use sparkplug_b::driver::RequestError;
use sparkplug_b::session::host::CommandError;
use sparkplug_b::topic::IdError;

/// An error answer: `{"error": "not_found", "message": "..."}` with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// A stable, machine-readable code.
    pub(crate) code: &'static str,
    /// What went wrong, for people.
    pub(crate) message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
}

impl ApiError {
    /// 400: a parameter is wrong.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
        }
    }

    /// 404: no such node, device or metric.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
        }
    }

    /// 401: a bearer token is needed.
    pub(crate) fn unauthorized() -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "this route needs `Authorization: Bearer <token>`".to_owned(),
        }
    }

    /// 400: a path parameter is not a valid Sparkplug id; the message names the id, the value
    /// and the rule (its `tck-id-...`).
    pub(crate) fn invalid_id(value: &str, error: &IdError) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_id",
            message: format!("{value:?} is not a valid {}: {error}", error.kind()),
        }
    }

    /// 403: the request comes from a page of another origin.
    pub(crate) fn forbidden_origin(origin: &str) -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden_origin",
            message: format!(
                "requests from origin {origin:?} are refused: only the API's own origin (or one \
                 in api.allowed_hosts) may call it"
            ),
        }
    }

    /// 421: the `Host` header names a host this API does not answer for (DNS rebinding).
    pub(crate) fn misdirected(host: &str) -> Self {
        ApiError {
            status: StatusCode::MISDIRECTED_REQUEST,
            code: "misdirected",
            message: format!(
                "this API does not answer for host {host:?}: use its address or add the name to \
                 api.allowed_hosts"
            ),
        }
    }

    /// 415: a write without `Content-Type: application/json`.
    pub(crate) fn unsupported_media_type() -> Self {
        ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: "commands need `Content-Type: application/json`".to_owned(),
        }
    }

    /// 413: a body larger than [`MAX_BODY_BYTES`](super::guard::MAX_BODY_BYTES).
    pub(crate) fn payload_too_large() -> Self {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            message: format!(
                "the body is larger than {} bytes",
                super::guard::MAX_BODY_BYTES
            ),
        }
    }

    /// 422: a value the metric's birth allows by type but not by range, or not a finite number.
    pub(crate) fn out_of_range(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "out_of_range",
            message: message.into(),
        }
    }

    /// 503: the store or the host is not available.
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "unavailable",
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.code,
            message: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::BadRequest(message) => ApiError::bad_request(message),
            QueryError::Unavailable { .. } => ApiError::unavailable(error.to_string()),
            other => {
                tracing::error!(error = %other, "The store returned unreadable data.");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "store_error",
                    message: other.to_string(),
                }
            }
        }
    }
}

impl From<RequestError<CommandError>> for ApiError {
    fn from(error: RequestError<CommandError>) -> Self {
        match error {
            RequestError::Rejected(command) => command.into(),
            other => ApiError::unavailable(format!("the host application is not running: {other}")),
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        let message = error.to_string();
        let (status, code) = match error {
            CommandError::UnknownNode { .. }
            | CommandError::UnknownDevice { .. }
            | CommandError::UnknownMetric { .. } => (StatusCode::NOT_FOUND, "not_found"),
            CommandError::NodeNotOnline { .. } | CommandError::DeviceNotOnline { .. } => {
                (StatusCode::CONFLICT, "not_online")
            }
            CommandError::IncompatibleValue { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "incompatible_value")
            }
            CommandError::NotConnected => (StatusCode::SERVICE_UNAVAILABLE, "not_connected"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "command_rejected"),
        };
        ApiError {
            status,
            code,
            message,
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::unsupported_media_type(),
            _ => ApiError::bad_request(rejection.body_text()),
        }
    }
}
