//! Comparison of our JSON rendering against the `expected` descriptions of the golden vectors.

use serde_json::Value as Json;

/// Keys of the vector descriptions that describe the wire, not the decoded value; the golden
/// vector test checks them against the prost wire structs instead.
const WIRE_KEYS: [&str; 2] = ["value_field", "wire_raw"];

/// Checks that every key of `expected` is in `actual` with an equal value (extra keys in
/// `actual` are allowed). Returns the path of the first difference.
pub(crate) fn contains(expected: &Json, actual: &Json, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Json::Object(e), Json::Object(a)) => {
            for (key, ev) in e {
                if WIRE_KEYS.contains(&key.as_str()) {
                    continue;
                }
                let av = a.get(key).ok_or_else(|| format!("{path}.{key}: missing"))?;
                contains(ev, av, &format!("{path}.{key}"))?;
            }
            Ok(())
        }
        (Json::Array(e), Json::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: {} elements expected, {} found",
                    e.len(),
                    a.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                contains(ev, av, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Json::Number(e), Json::Number(a)) => {
            if numbers_equal(e, a) {
                Ok(())
            } else {
                Err(format!("{path}: expected {e}, found {a}"))
            }
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: expected {e}, found {a}")),
    }
}

/// Integers must match exactly. Floats match exactly, or as f32 when they differ only below
/// f32 precision: the vectors print Float values widened to f64 (`1.850000023841858`, or
/// `3.402823466385289e+38` for `f32::MAX`), we print the f32's shortest form (`1.85`).
fn numbers_equal(e: &serde_json::Number, a: &serde_json::Number) -> bool {
    if let (Some(x), Some(y)) = (e.as_u64(), a.as_u64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (e.as_i64(), a.as_i64()) {
        return x == y;
    }
    match (e.as_f64(), a.as_f64()) {
        (Some(x), Some(y)) => {
            x == y || ((x as f32) == (y as f32) && (x - y).abs() <= x.abs() * 1e-7)
        }
        _ => false,
    }
}
