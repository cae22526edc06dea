//! Commands through the API: a rebirth request (NCMD) and a metric write (NCMD/DCMD), checked
//! against the edge node's birth before anything is sent.

use async_trait::async_trait;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::Value as JsonValue;
use spark_sink::{MetricRow, Source};
use sparkplug_b::driver::HostHandle;
use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId};
use sparkplug_b::{DataType, Value};

use super::ApiState;
use super::error::ApiError;

/// What the API can ask of the host application. The app gives it a [`HostCommands`]; tests
/// give it a recorder.
#[async_trait]
pub(crate) trait Commands: Send + Sync {
    /// NCMD `Node Control/Rebirth` to `group/node`.
    async fn request_rebirth(&self, group: &str, node: &str) -> Result<(), ApiError>;

    /// An NCMD (no device) or DCMD writing `value` (JSON) to `metric`, typed by its birth.
    async fn write_metric(
        &self,
        group: &str,
        node: &str,
        device: Option<&str>,
        metric: &str,
        value: &JsonValue,
    ) -> Result<Written, ApiError>;
}

/// The answer to a write: what was sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Written {
    /// The metric written.
    pub(crate) metric: String,
    /// Its birth datatype.
    pub(crate) datatype: DataType,
    /// The value sent, as `docs/JSON.md` renders values.
    pub(crate) value: Value,
}

/// The body of a write.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WriteBody {
    /// The metric's name as its birth declared it (`/` and spaces allowed).
    pub(crate) metric: String,
    /// The value: a JSON number, boolean or string that fits the metric's datatype.
    pub(crate) value: JsonValue,
}

/// `POST /api/v1/nodes/{group}/{node}/rebirth`
pub(crate) async fn rebirth(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let commands = state.commands()?;
    commands.request_rebirth(&group, &node).await?;
    Ok(Json(
        serde_json::json!({ "requested": "rebirth", "group": group, "node": node }),
    ))
}

/// `POST /api/v1/nodes/{group}/{node}/write`
pub(crate) async fn write_node(
    State(state): State<ApiState>,
    Path((group, node)): Path<(String, String)>,
    body: Result<Json<WriteBody>, JsonRejection>,
) -> Result<Json<Written>, ApiError> {
    let Json(body) = body?;
    let commands = state.commands()?;
    within_range(&state, &Source::node(&*group, &*node), &body).await?;
    let written = commands
        .write_metric(&group, &node, None, &body.metric, &body.value)
        .await?;
    Ok(Json(written))
}

/// `POST /api/v1/nodes/{group}/{node}/devices/{device}/write`
pub(crate) async fn write_device(
    State(state): State<ApiState>,
    Path((group, node, device)): Path<(String, String, String)>,
    body: Result<Json<WriteBody>, JsonRejection>,
) -> Result<Json<Written>, ApiError> {
    let Json(body) = body?;
    let commands = state.commands()?;
    within_range(&state, &Source::device(&*group, &*node, &*device), &body).await?;
    let written = commands
        .write_metric(&group, &node, Some(&device), &body.metric, &body.value)
        .await?;
    Ok(Json(written))
}

/// Refuses (422) a number outside the `engLow`..`engHigh` range the metric's last birth
/// declared (the plant publishes its setpoint limits this way), as the store's catalogue has it.
async fn within_range(state: &ApiState, source: &Source, body: &WriteBody) -> Result<(), ApiError> {
    let Some(row) = state.store().metric(source, &body.metric).await? else {
        return Ok(());
    };
    let (low, high) = eng_range(&row);
    if low.is_none() && high.is_none() {
        return Ok(());
    }
    let number = match &body.value {
        JsonValue::Number(n) => n.as_f64(),
        JsonValue::String(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    let Some(number) = number.filter(|n| n.is_finite()) else {
        // Not a finite number: the datatype check says what is wrong with it.
        return Ok(());
    };
    let below = low.is_some_and(|low| number < low);
    let above = high.is_some_and(|high| number > high);
    if below || above {
        let bound = |b: Option<f64>| b.map_or_else(|| "-".to_owned(), |b| b.to_string());
        return Err(ApiError::out_of_range(format!(
            "{source} metric {:?}: {number} is outside its range {}..{} (engLow..engHigh of its \
             birth)",
            body.metric,
            bound(low),
            bound(high)
        )));
    }
    Ok(())
}

/// The `engLow` and `engHigh` properties of a catalogue row (`docs/JSON.md` renders properties
/// as a list of `{"key", "type", "is_null", "value"}`).
fn eng_range(row: &MetricRow) -> (Option<f64>, Option<f64>) {
    let property = |key: &str| {
        row.properties
            .as_ref()?
            .as_array()?
            .iter()
            .find(|p| p.get("key").and_then(JsonValue::as_str) == Some(key))?
            .get("value")?
            .as_f64()
    };
    (property("engLow"), property("engHigh"))
}

/// The commands of a running host application.
#[derive(Debug, Clone)]
pub(crate) struct HostCommands {
    handle: HostHandle,
}

impl HostCommands {
    /// Commands through this host's runner.
    pub(crate) fn new(handle: HostHandle) -> Self {
        HostCommands { handle }
    }
}

fn ids(group: &str, node: &str) -> Result<(GroupId, EdgeNodeId), ApiError> {
    let group =
        GroupId::new(group).map_err(|e| ApiError::bad_request(format!("group {group:?}: {e}")))?;
    let node = EdgeNodeId::new(node)
        .map_err(|e| ApiError::bad_request(format!("edge node {node:?}: {e}")))?;
    Ok((group, node))
}

#[async_trait]
impl Commands for HostCommands {
    async fn request_rebirth(&self, group: &str, node: &str) -> Result<(), ApiError> {
        let (group, node) = ids(group, node)?;
        // The host would take a rebirth request for any name and publish it: only a node it
        // has seen gets one (a 404 names the others).
        let (g, n) = (group.clone(), node.clone());
        let seen = self
            .handle
            .inspect(move |host| host.node(&g, &n).is_some())
            .await
            .map_err(|e| {
                ApiError::unavailable(format!("the host application is not running: {e}"))
            })?;
        if !seen {
            return Err(unknown_node(&group, &node));
        }
        self.handle.request_rebirth(&group, &node).await?;
        Ok(())
    }

    async fn write_metric(
        &self,
        group: &str,
        node: &str,
        device: Option<&str>,
        metric: &str,
        value: &JsonValue,
    ) -> Result<Written, ApiError> {
        let (group, node) = ids(group, node)?;
        let device = device
            .map(|d| {
                DeviceId::new(d).map_err(|e| ApiError::bad_request(format!("device {d:?}: {e}")))
            })
            .transpose()?;
        let (g, n, d, name) = (
            group.clone(),
            node.clone(),
            device.clone(),
            metric.to_owned(),
        );
        let found = self
            .handle
            .inspect(move |host| {
                let Some(state) = host.node(&g, &n) else {
                    return Lookup::NoNode;
                };
                if let Some(d) = &d {
                    if state.device(d).is_none() {
                        return Lookup::NoDevice;
                    }
                }
                // By name, or a template member by path (`Motor1/Speed`).
                match host.writable_datatype(&g, &n, d.as_ref(), &name) {
                    Some(datatype) => Lookup::Metric(datatype),
                    None => Lookup::NoMetric,
                }
            })
            .await
            .map_err(|e| {
                ApiError::unavailable(format!("the host application is not running: {e}"))
            })?;
        let place = match &device {
            Some(d) => format!("{group}/{node}/{d}"),
            None => format!("{group}/{node}"),
        };
        let datatype = match found {
            Lookup::Metric(datatype) => datatype,
            Lookup::NoNode => return Err(unknown_node(&group, &node)),
            Lookup::NoDevice => {
                return Err(ApiError::not_found(format!(
                    "the host has never seen device {place}: no command is sent"
                )));
            }
            Lookup::NoMetric => {
                return Err(ApiError::not_found(format!(
                    "{place} has no metric {metric:?} in its birth"
                )));
            }
        };
        let value = value_of(value, datatype).map_err(|message| ApiError {
            status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            code: "incompatible_value",
            message: format!("metric {metric:?} is {datatype}: {message}"),
        })?;
        self.handle
            .write_metric(&group, &node, device.as_ref(), metric, value.clone())
            .await?;
        Ok(Written {
            metric: metric.to_owned(),
            datatype,
            value,
        })
    }
}

/// What the host knows of a write's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    NoNode,
    NoDevice,
    NoMetric,
    Metric(DataType),
}

fn unknown_node(group: &GroupId, node: &EdgeNodeId) -> ApiError {
    ApiError::not_found(format!(
        "the host has never seen edge node {group}/{node}: no command is sent"
    ))
}

/// A JSON value as a value of `datatype`: numbers must fit (integers exactly), booleans are
/// booleans, strings are strings. Complex types cannot be written through the API.
pub(crate) fn value_of(json: &JsonValue, datatype: DataType) -> Result<Value, String> {
    fn int<T: TryFrom<i128>>(json: &JsonValue, wrap: fn(T) -> Value) -> Result<Value, String> {
        let n = match json {
            JsonValue::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .ok_or_else(|| format!("{n} is not an integer"))?,
            // Strings carry 64-bit values past JavaScript's 2^53 exactly (docs/JSON.md).
            JsonValue::String(s) => s
                .parse::<i128>()
                .map_err(|_| format!("{s:?} is not an integer"))?,
            other => return Err(format!("{other} is not an integer")),
        };
        T::try_from(n)
            .map(wrap)
            .map_err(|_| format!("{n} is out of range"))
    }
    // A command is a value to act on: NaN and the infinities (which docs/JSON.md writes as
    // strings) never are one.
    fn float(json: &JsonValue) -> Result<f64, String> {
        let f = match json {
            JsonValue::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not a number"))?,
            JsonValue::String(s) => match s.as_str() {
                "NaN" | "Infinity" | "-Infinity" => {
                    return Err(format!("{s} is not a value a command can carry"));
                }
                _ => return Err(format!("{s:?} is not a number")),
            },
            other => return Err(format!("{other} is not a number")),
        };
        if f.is_finite() {
            Ok(f)
        } else {
            Err(format!("{f} is not a finite number"))
        }
    }
    fn float32(json: &JsonValue) -> Result<f32, String> {
        let f = float(json)?;
        let narrow = f as f32;
        if narrow.is_finite() {
            Ok(narrow)
        } else {
            Err(format!("{f} is outside the range of a Float"))
        }
    }
    fn text(json: &JsonValue) -> Result<String, String> {
        json.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{json} is not a string"))
    }
    match datatype {
        DataType::Int8 => int(json, Value::Int8),
        DataType::Int16 => int(json, Value::Int16),
        DataType::Int32 => int(json, Value::Int32),
        DataType::Int64 => int(json, Value::Int64),
        DataType::UInt8 => int(json, Value::UInt8),
        DataType::UInt16 => int(json, Value::UInt16),
        DataType::UInt32 => int(json, Value::UInt32),
        DataType::UInt64 => int(json, Value::UInt64),
        DataType::DateTime => int(json, Value::DateTime),
        DataType::Float => float32(json).map(Value::Float),
        DataType::Double => float(json).map(Value::Double),
        DataType::Boolean => json
            .as_bool()
            .map(Value::Boolean)
            .ok_or_else(|| format!("{json} is not a boolean")),
        DataType::String => text(json).map(Value::String),
        DataType::Text => text(json).map(Value::Text),
        DataType::Uuid => text(json).map(Value::Uuid),
        other => Err(format!(
            "writing {other} metrics through the API is not supported"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_must_fit_exactly() {
        assert_eq!(value_of(&json!(-12), DataType::Int8), Ok(Value::Int8(-12)));
        assert!(value_of(&json!(300), DataType::UInt8).is_err());
        assert!(value_of(&json!(-1), DataType::UInt64).is_err());
        assert!(value_of(&json!(1.5), DataType::Int32).is_err());
        assert_eq!(
            value_of(&json!("18446744073709551615"), DataType::UInt64),
            Ok(Value::UInt64(u64::MAX))
        );
    }

    #[test]
    fn floats_booleans_and_strings() {
        assert_eq!(
            value_of(&json!(-10.5), DataType::Double),
            Ok(Value::Double(-10.5))
        );
        assert_eq!(value_of(&json!(2), DataType::Float), Ok(Value::Float(2.0)));
        assert_eq!(
            value_of(&json!(true), DataType::Boolean),
            Ok(Value::Boolean(true))
        );
        assert!(value_of(&json!(1), DataType::Boolean).is_err());
        assert_eq!(
            value_of(&json!("x"), DataType::String),
            Ok(Value::String("x".into()))
        );
        assert!(value_of(&json!(1), DataType::String).is_err());
    }

    #[test]
    fn nan_and_infinities_are_refused() {
        for v in [json!("NaN"), json!("Infinity"), json!("-Infinity")] {
            assert!(value_of(&v, DataType::Double).is_err(), "{v}");
            assert!(value_of(&v, DataType::Float).is_err(), "{v}");
        }
        assert!(value_of(&json!(1e300), DataType::Float).is_err());
        assert_eq!(
            value_of(&json!(1e300), DataType::Double),
            Ok(Value::Double(1e300))
        );
    }

    #[test]
    fn complex_types_are_refused() {
        assert!(value_of(&json!([1, 2]), DataType::Int32Array).is_err());
    }
}
