//! The path parameters that are Sparkplug ids (`{group}`, `{node}`, `{device}`), checked by the
//! id newtypes before any handler runs: an id that could not go on the wire (a control
//! character, `+`, `/`, `#`, too many bytes) is a 400 that names the id and the rule, so no
//! command is ever published on a topic the broker would refuse.

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request};
use axum::middleware::Next;
use axum::response::Response;
use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId, IdError};

use super::error::ApiError;

/// Checks every id among the route's path parameters.
pub(super) async fn checked(
    params: Result<RawPathParams, RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let params = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    for (name, value) in &params {
        check(name, value)?;
    }
    Ok(next.run(request).await)
}

fn check(name: &str, value: &str) -> Result<(), ApiError> {
    let result: Result<(), IdError> = match name {
        "group" => GroupId::new(value).map(drop),
        "node" => EdgeNodeId::new(value).map(drop),
        "device" => DeviceId::new(value).map(drop),
        _ => Ok(()),
    };
    result.map_err(|error| ApiError::invalid_id(value, &error))
}
