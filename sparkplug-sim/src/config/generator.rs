//! `generator = { kind = ..., ... }`: where a generic metric's values come from.

use serde::Deserialize;

use super::error::ConfigError;

/// A value generator. Every generator yields numbers; the metric's datatype decides how a
/// number becomes a value (see `docs/SIMULATOR.md`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum GeneratorConfig {
    /// `offset + amplitude * sin(2π (t / period_s) + phase)`, plus uniform noise of ±`noise`.
    Sine {
        /// Half the peak-to-peak swing. Default 1.
        #[serde(default = "one")]
        amplitude: f64,
        /// The middle. Default 0.
        #[serde(default)]
        offset: f64,
        /// Seconds per cycle. Default 60.
        #[serde(default = "sixty")]
        period_s: f64,
        /// Phase, radians. Default 0.
        #[serde(default)]
        phase: f64,
        /// Uniform noise amplitude. Default 0.
        #[serde(default)]
        noise: f64,
    },
    /// Starts at `start` and moves by a uniform step of ±`step` per sample, kept in
    /// `[min, max]`.
    RandomWalk {
        /// First value. Default 0.
        #[serde(default)]
        start: f64,
        /// Largest move per sample. Default 1.
        #[serde(default = "one")]
        step: f64,
        /// Lower bound. Default -inf.
        #[serde(default = "neg_inf")]
        min: f64,
        /// Upper bound. Default +inf.
        #[serde(default = "inf")]
        max: f64,
    },
    /// Cycles through `values`, holding each for `hold_s` seconds.
    Step {
        /// The levels.
        values: Vec<f64>,
        /// Seconds per level. Default 10.
        #[serde(default = "ten")]
        hold_s: f64,
    },
    /// `start`, then + `increment` per sample, back to `start` once above `wrap`.
    Counter {
        /// First value. Default 0.
        #[serde(default)]
        start: f64,
        /// Added per sample. Default 1.
        #[serde(default = "one")]
        increment: f64,
        /// Wraps to `start` when the value would exceed it. Default none.
        wrap: Option<f64>,
    },
    /// Always the same value.
    Constant {
        /// The value. Default 0.
        #[serde(default)]
        value: f64,
    },
    /// Replays a CSV file: one row per sample, in order.
    Replay {
        /// The CSV file; relative to the scenario file.
        file: String,
        /// The column to read, by header name; default the last column.
        column: Option<String>,
        /// Start over at the end (default), or hold the last value.
        #[serde(default = "yes")]
        repeat: bool,
    },
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig::Constant { value: 0.0 }
    }
}

impl GeneratorConfig {
    pub(crate) fn check(&self, at: &str) -> Result<(), ConfigError> {
        let bad = |p: &str| Err(ConfigError::invalid(at, p));
        match self {
            GeneratorConfig::Sine { period_s, .. } if period_s.is_nan() || *period_s <= 0.0 => {
                bad("sine period_s must be > 0")
            }
            GeneratorConfig::RandomWalk { min, max, step, .. }
                if min > max || step.is_nan() || *step < 0.0 =>
            {
                bad("random_walk needs min <= max and step >= 0")
            }
            GeneratorConfig::Step { values, hold_s }
                if values.is_empty() || hold_s.is_nan() || *hold_s <= 0.0 =>
            {
                bad("step needs values and hold_s > 0")
            }
            _ => Ok(()),
        }
    }
}

fn one() -> f64 {
    1.0
}
fn sixty() -> f64 {
    60.0
}
fn ten() -> f64 {
    10.0
}
fn inf() -> f64 {
    f64::INFINITY
}
fn neg_inf() -> f64 {
    f64::NEG_INFINITY
}
fn yes() -> bool {
    true
}
