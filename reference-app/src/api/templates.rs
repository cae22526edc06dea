//! A node's template catalogue: the template definitions (UDTs) of its latest NBIRTH.
//!
//! Definitions are types, not metrics: they are stored with the birth certificate (entries
//! with a `definition`) and never as samples, so they are read from the latest birth.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value as JsonValue;
use spark_sink::Source;

use super::ApiState;
use super::error::ApiError;
use super::nodes::known_node;

/// The template catalogue of a node's latest NBIRTH.
#[derive(Debug, Serialize)]
pub(crate) struct TemplateCatalogue {
    /// The store id of the birth the definitions come from; `None` before any birth.
    pub(crate) birth_id: Option<i64>,
    /// That birth's bdSeq.
    pub(crate) bd_seq: Option<u64>,
    /// That birth's payload timestamp (ms).
    pub(crate) timestamp_ms: Option<i64>,
    /// The definitions, in birth order: `{"name", "definition": {"version", "metrics",
    /// "parameters", "is_definition": true, ...}}`.
    pub(crate) templates: Vec<TemplateEntry>,
}

/// One template definition.
#[derive(Debug, Serialize)]
pub(crate) struct TemplateEntry {
    /// The template's name (the definition's metric name, what instances' `template_ref` say).
    pub(crate) name: String,
    /// The definition as the NBIRTH carried it: version, member metrics with datatypes and
    /// defaults, parameters with types and defaults.
    pub(crate) definition: JsonValue,
}

/// `GET /api/v1/nodes/{group}/{node}/templates`
pub(crate) async fn node(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
) -> Result<Json<TemplateCatalogue>, ApiError> {
    known_node(&state, &group, &node).await?;
    let births = state.store().births(&Source::node(group, node), 1).await?;
    let Some(birth) = births.into_iter().next() else {
        return Ok(Json(TemplateCatalogue {
            birth_id: None,
            bd_seq: None,
            timestamp_ms: None,
            templates: Vec::new(),
        }));
    };
    let templates = birth
        .metrics
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let definition = entry.get("definition")?.clone();
            let name = entry.get("name")?.as_str()?.to_owned();
            Some(TemplateEntry { name, definition })
        })
        .collect();
    Ok(Json(TemplateCatalogue {
        birth_id: Some(birth.id),
        bd_seq: birth.bd_seq,
        timestamp_ms: Some(birth.timestamp_ms),
        templates,
    }))
}
