//! Optional bearer-token authentication.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;

use super::ApiState;
use super::error::ApiError;

fn authorized(state: &ApiState, request: &Request) -> bool {
    let Some(token) = &state.inner.token else {
        return true;
    };
    let given = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Compared in constant time so response timing does not reveal a prefix of the token.
    given.is_some_and(|given| {
        given.len() == token.len()
            && given
                .bytes()
                .zip(token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

/// Read routes: open unless `protect_reads`.
pub(super) async fn reads(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if state.inner.protect_reads && !authorized(&state, &request) {
        return Err(ApiError::unauthorized());
    }
    Ok(next.run(request).await)
}

/// Command routes: need the token whenever one is configured.
pub(super) async fn commands(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if !authorized(&state, &request) {
        return Err(ApiError::unauthorized());
    }
    Ok(next.run(request).await)
}
