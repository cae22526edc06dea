//! The embedded files of the page (`reference-app/web/`), each with its content type.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::ApiState;

/// The page. `{{AUTH}}` becomes the API's auth mode: `none`, `commands` or `all`.
const INDEX: &str = include_str!("../../web/index.html");

/// Every asset: name under `/assets/`, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("style.css", CSS, include_bytes!("../../web/style.css")),
    ("app.js", JS, include_bytes!("../../web/app.js")),
    ("api.js", JS, include_bytes!("../../web/api.js")),
    ("live.js", JS, include_bytes!("../../web/live.js")),
    ("overview.js", JS, include_bytes!("../../web/overview.js")),
    ("chart.js", JS, include_bytes!("../../web/chart.js")),
    ("trends.js", JS, include_bytes!("../../web/trends.js")),
    ("tables.js", JS, include_bytes!("../../web/tables.js")),
    ("commands.js", JS, include_bytes!("../../web/commands.js")),
    ("format.js", JS, include_bytes!("../../web/format.js")),
    ("icon.svg", SVG, include_bytes!("../../web/icon.svg")),
];

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Everything the page loads comes from this origin; nothing inline, nothing from a CDN.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `GET /`
pub(super) async fn index(State(state): State<ApiState>) -> Response {
    let auth = match (state.has_token(), state.reads_protected()) {
        (false, _) => "none",
        (true, false) => "commands",
        (true, true) => "all",
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX.replace("{{AUTH}}", auth),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /assets/{file}`
pub(super) async fn asset(Path(file): Path<String>) -> Response {
    match find(&file) {
        Some((content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no asset {file:?}"),
        )
            .into_response(),
    }
}

fn find(file: &str) -> Option<(&'static str, &'static [u8])> {
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == file)
        .map(|(_, content_type, bytes)| (*content_type, *bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_the_page_imports_is_embedded() {
        // The page loads app.js; app.js and the modules import the others by `./name.js`.
        let mut wanted = vec!["app.js".to_owned(), "style.css".to_owned()];
        for (_, _, bytes) in ASSETS {
            let text = std::str::from_utf8(bytes).unwrap_or("");
            for part in text.split("from './").skip(1) {
                if let Some(end) = part.find('\'') {
                    wanted.push(part[..end].to_owned());
                }
            }
        }
        for name in wanted {
            assert!(find(&name).is_some(), "{name} is imported but not embedded");
        }
        assert!(INDEX.contains("/assets/app.js") && INDEX.contains("{{AUTH}}"));
    }

    #[test]
    fn nothing_is_loaded_from_another_origin() {
        // The SVG namespace is a name, not a location; any other absolute URL would be a
        // request the page makes to somewhere else (it must work offline).
        let sources = std::iter::once(INDEX.as_bytes()).chain(ASSETS.iter().map(|a| a.2));
        for bytes in sources {
            let text = String::from_utf8_lossy(bytes).replace("http://www.w3.org/2000/svg", "");
            for scheme in ["http://", "https://", "//cdn", "@import"] {
                if let Some(at) = text.find(scheme) {
                    let end = (at + 80).min(text.len());
                    panic!("an asset names {scheme}: {:?}", text.get(at..end));
                }
            }
        }
    }
}
