//! The status line printed every few seconds while the app runs.

use std::sync::atomic::Ordering;
use std::time::Instant;

use sparkplug_sim::StatsSnapshot;

use crate::telemetry::Telemetry;

/// The counters at one moment, to compute rates against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    at: Instant,
    metrics: u64,
    rows: u64,
}

impl Sample {
    /// The counters now.
    pub(crate) fn now(telemetry: &Telemetry) -> Self {
        Sample {
            at: Instant::now(),
            metrics: Telemetry::get(&telemetry.metrics),
            rows: telemetry
                .sinks()
                .iter()
                .map(|s| s.rows_written)
                .max()
                .unwrap_or(0),
        }
    }
}

/// `nodes online 1 | metrics 70/s (12,345) | rows written 12,000 | seq gaps 0 | lag 120 ms`,
/// with rates since `last` (which it moves to now) and the simulator's own counts when given.
pub(crate) fn line(
    telemetry: &Telemetry,
    last: Option<(&mut Sample, Option<StatsSnapshot>)>,
) -> String {
    let now = Sample::now(telemetry);
    let sinks = telemetry.sinks();
    let lag = sinks.iter().map(|s| s.lag_ms).max().unwrap_or(0);
    let spilled: u64 = sinks.iter().map(|s| s.spilled_rows).sum();
    let mut text = format!(
        "nodes online {}",
        telemetry.nodes_online.load(Ordering::Relaxed)
    );
    match last {
        Some((last, sim)) => {
            let secs = now.at.duration_since(last.at).as_secs_f64().max(1e-3);
            let metric_rate = (now.metrics - last.metrics) as f64 / secs;
            let row_rate = now.rows.saturating_sub(last.rows) as f64 / secs;
            text.push_str(&format!(
                " | metrics {metric_rate:.0}/s ({}) | rows written {} ({row_rate:.0}/s)",
                now.metrics, now.rows
            ));
            if let Some(sim) = sim {
                text.push_str(&format!(
                    " | sim published {} metrics",
                    sim.counters.metrics
                ));
            }
            *last = now;
        }
        None => text.push_str(&format!(
            " | metrics {} | rows written {}",
            now.metrics, now.rows
        )),
    }
    text.push_str(&format!(
        " | seq gaps {} | lag {lag} ms",
        Telemetry::get(&telemetry.seq_gaps)
    ));
    if spilled > 0 {
        text.push_str(&format!(" | spilled {spilled}"));
    }
    text.push_str(&telemetry.traffic.status());
    text
}
