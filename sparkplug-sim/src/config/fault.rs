//! `[[fault]]` and `[random_faults]`: what goes wrong, and when.

use serde::Deserialize;

use super::error::ConfigError;

/// A fault to inject into one node's traffic or connection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum FaultKind {
    /// Close the connection without DISCONNECT and without publishing NDEATH: the broker
    /// publishes the Will. The node reconnects after `reconnect_delay_ms`.
    DropConnection,
    /// Do not publish the next data message: its seq is missing at the host.
    SkipSeq,
    /// Publish the next data message twice: its seq repeats.
    RepeatSeq,
    /// Swap the next two data messages.
    Reorder,
    /// Replace the next data message's payload with bytes that are not a Sparkplug payload.
    MalformedPayload,
    /// Give the first metric of the next data message an alias (or name) no birth declared.
    UnknownAlias,
    /// Drop the connection, reconnect, and publish the first data message before the births.
    DataBeforeBirth,
    /// Shift the node's timestamps by `skew_ms` for `duration_s` (forever when absent).
    ClockSkew {
        /// The shift, ms; negative is behind.
        skew_ms: i64,
        /// How long, simulated seconds.
        duration_s: Option<f64>,
    },
    /// Drop and restore the connection `cycles` times, `interval_s` apart.
    Flapping {
        /// How many drops. Default 3.
        #[serde(default = "three")]
        cycles: u32,
        /// Simulated seconds between drops. Default 2.
        #[serde(default = "two")]
        interval_s: f64,
    },
    /// Stay disconnected for `duration_s` while sampling goes on, then publish what store and
    /// forward kept as historical data after the births.
    StoreForwardBurst {
        /// Simulated seconds offline. Default 10.
        #[serde(default = "ten")]
        duration_s: f64,
    },
    /// A sensor fails for `duration_s`: its metric is published with quality BAD (the
    /// `Quality` property, 0) and its last value, until it reads again.
    FailedSensor {
        /// The metric, as `Device/Metric` (or a node metric's name); default the first device
        /// metric of the node.
        metric: Option<String>,
        /// Simulated seconds it stays failed. Default 10.
        #[serde(default = "ten")]
        duration_s: f64,
    },
}

impl FaultKind {
    /// The `kind` string of the scenario file.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::DropConnection => "drop_connection",
            FaultKind::SkipSeq => "skip_seq",
            FaultKind::RepeatSeq => "repeat_seq",
            FaultKind::Reorder => "reorder",
            FaultKind::MalformedPayload => "malformed_payload",
            FaultKind::UnknownAlias => "unknown_alias",
            FaultKind::DataBeforeBirth => "data_before_birth",
            FaultKind::ClockSkew { .. } => "clock_skew",
            FaultKind::Flapping { .. } => "flapping",
            FaultKind::StoreForwardBurst { .. } => "store_forward_burst",
            FaultKind::FailedSensor { .. } => "failed_sensor",
        }
    }

    /// Every kind with its default parameters, for random faults.
    pub fn all() -> Vec<FaultKind> {
        vec![
            FaultKind::DropConnection,
            FaultKind::SkipSeq,
            FaultKind::RepeatSeq,
            FaultKind::Reorder,
            FaultKind::MalformedPayload,
            FaultKind::UnknownAlias,
            FaultKind::DataBeforeBirth,
            FaultKind::ClockSkew {
                skew_ms: 60_000,
                duration_s: Some(30.0),
            },
            FaultKind::Flapping {
                cycles: 3,
                interval_s: 2.0,
            },
            FaultKind::StoreForwardBurst { duration_s: 10.0 },
            FaultKind::FailedSensor {
                metric: None,
                duration_s: 10.0,
            },
        ]
    }

    fn check(&self, at: &str) -> Result<(), ConfigError> {
        let ok = match self {
            FaultKind::ClockSkew { duration_s, .. } => duration_s.is_none_or(|d| d > 0.0),
            FaultKind::Flapping { cycles, interval_s } => *cycles > 0 && *interval_s > 0.0,
            FaultKind::StoreForwardBurst { duration_s } => *duration_s > 0.0,
            FaultKind::FailedSensor { duration_s, .. } => *duration_s > 0.0,
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(ConfigError::invalid(
                at,
                format!(
                    "{}: durations, intervals and cycles must be > 0",
                    self.name()
                ),
            ))
        }
    }
}

/// `[[fault]]`: a fault at a given time. (Unknown keys are rejected by the kind.)
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct FaultConfig {
    /// When, simulated seconds after the start.
    pub at_s: f64,
    /// The node id it hits; `"*"` hits every node. Default `"*"`.
    #[serde(default = "star")]
    pub node: String,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
}

impl FaultConfig {
    /// A fault at `at_s` seconds on `node` (`"*"` for all).
    pub fn new(at_s: f64, node: impl Into<String>, kind: FaultKind) -> Self {
        FaultConfig {
            at_s,
            node: node.into(),
            kind,
        }
    }

    pub(crate) fn check(&self, at: &str) -> Result<(), ConfigError> {
        if !(self.at_s.is_finite() && self.at_s >= 0.0) {
            return Err(ConfigError::invalid(at, "at_s must be a time >= 0"));
        }
        self.kind.check(at)
    }
}

/// `[random_faults]`: faults at random times (a Poisson process per node), drawn from the
/// seed, so the same seed gives the same faults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RandomFaultsConfig {
    /// Mean faults per node per simulated hour.
    pub per_node_per_hour: f64,
    /// The kinds to draw from, by name; default all.
    #[serde(default)]
    pub kinds: Vec<String>,
}

impl RandomFaultsConfig {
    /// The kinds to draw from, with default parameters.
    pub fn fault_kinds(&self) -> Vec<FaultKind> {
        FaultKind::all()
            .into_iter()
            .filter(|k| self.kinds.is_empty() || self.kinds.iter().any(|n| n == k.name()))
            .collect()
    }

    pub(crate) fn check(&self, at: &str) -> Result<(), ConfigError> {
        if !(self.per_node_per_hour.is_finite() && self.per_node_per_hour >= 0.0) {
            return Err(ConfigError::invalid(at, "per_node_per_hour must be >= 0"));
        }
        let all = FaultKind::all();
        for k in &self.kinds {
            if !all.iter().any(|a| a.name() == k) {
                let names: Vec<_> = all.iter().map(FaultKind::name).collect();
                return Err(ConfigError::invalid(
                    at,
                    format!("unknown fault kind {k:?}; known: {}", names.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

fn star() -> String {
    "*".to_owned()
}
fn three() -> u32 {
    3
}
fn two() -> f64 {
    2.0
}
fn ten() -> f64 {
    10.0
}

#[cfg(test)]
mod tests {
    use crate::config::{FaultKind, ScenarioConfig};

    #[test]
    fn faults_parse_with_their_parameters() {
        let c: ScenarioConfig = r#"
            [[fault]]
            at_s = 5
            node = "Plant1"
            kind = "clock_skew"
            skew_ms = -3000
            [[fault]]
            at_s = 6
            kind = "skip_seq"
            [random_faults]
            per_node_per_hour = 2.5
            kinds = ["reorder", "flapping"]
        "#
        .parse()
        .unwrap();
        assert_eq!(
            c.faults[0].kind,
            FaultKind::ClockSkew {
                skew_ms: -3000,
                duration_s: None
            }
        );
        assert_eq!(c.faults[1].node, "*");
        let kinds = c.random_faults.unwrap().fault_kinds();
        assert_eq!(kinds.len(), 2);
        let e = "[random_faults]\nper_node_per_hour = 1\nkinds = [\"boom\"]\n"
            .parse::<ScenarioConfig>()
            .unwrap_err();
        assert!(e.to_string().contains("boom"));
        let e = "[[fault]]\nat_s = 1\nkind = \"explode\"\n"
            .parse::<ScenarioConfig>()
            .unwrap_err();
        assert!(e.to_string().contains("explode"), "{e}");
    }
}
