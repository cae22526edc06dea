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
    let rejected: u64 = sinks.iter().map(|s| s.rejected_rows).sum();
    if rejected > 0 {
        let quarantined: u64 = sinks.iter().map(|s| s.quarantined_rows).sum();
        text.push_str(&format!(
            " | rejected {rejected} (quarantined {quarantined})"
        ));
    }
    text.push_str(&telemetry.traffic.status());
    text
}

/// What the sinks could not write, in words, once they are closed; `None` when they wrote
/// everything. Printed at shutdown instead of "Stopped cleanly".
pub(crate) fn unwritten(telemetry: &Telemetry) -> Option<String> {
    let mut parts = Vec::new();
    for s in telemetry.sinks() {
        if s.quarantined_rows > 0 {
            let file = s
                .dead_letter_file
                .as_ref()
                .map_or_else(String::new, |f| format!(" in {}", f.display()));
            parts.push(format!(
                "{}: {} record(s) it cannot write quarantined{file}",
                s.name, s.quarantined_rows
            ));
        }
        let lost = s.rejected_rows.saturating_sub(s.quarantined_rows);
        if lost > 0 {
            parts.push(format!(
                "{}: {lost} record(s) it cannot write lost (the dead-letter file failed or was full)",
                s.name
            ));
        }
        if s.dropped_rows > 0 {
            parts.push(format!(
                "{}: {} record(s) dropped (queue and spill full)",
                s.name, s.dropped_rows
            ));
        }
        if s.spilled_rows > 0 {
            parts.push(format!(
                "{}: {} record(s) left in the spill file for the next run",
                s.name, s.spilled_rows
            ));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::SinkGauge;

    #[test]
    fn shutdown_names_what_was_not_written() {
        let t = Telemetry::default();
        t.set_sinks(vec![SinkGauge {
            name: "sqlite".into(),
            rows_written: 10,
            ..SinkGauge::default()
        }]);
        assert_eq!(unwritten(&t), None);
        assert!(!line(&t, None).contains("rejected"));
        t.set_sinks(vec![SinkGauge {
            name: "parquet".into(),
            rejected_rows: 3,
            quarantined_rows: 2,
            dead_letter_file: Some("data/dead-letter/parquet.deadletter.jsonl".into()),
            spilled_rows: 5,
            ..SinkGauge::default()
        }]);
        let text = unwritten(&t).unwrap();
        assert!(text.contains("parquet: 2 record(s) it cannot write quarantined in data/dead-letter/parquet.deadletter.jsonl"), "{text}");
        assert!(text.contains("1 record(s) it cannot write lost"), "{text}");
        assert!(text.contains("5 record(s) left in the spill"), "{text}");
        assert!(line(&t, None).contains("rejected 3 (quarantined 2)"));
    }
}
