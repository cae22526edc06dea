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
        .and_then(bearer_token);
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

/// The token of `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110
/// section 11.1), and spaces between it and the token do not matter.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_matches(' '))
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

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in [
            "Bearer s3cret",
            "bearer s3cret",
            "BEARER  s3cret",
            "bEaReR s3cret ",
        ] {
            assert_eq!(bearer_token(value), Some("s3cret"), "{value:?}");
        }
        for value in ["Basic s3cret", "Bearers3cret", "s3cret", ""] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }
}
