//! Counters of the running pipeline, shared by the ingest loop, the status line and the
//! Prometheus endpoint.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64, Ordering};

/// What one sink has done, as its delivery task last reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SinkGauge {
    /// The sink's name.
    pub(crate) name: String,
    /// Records written.
    pub(crate) rows_written: u64,
    /// Writes retried.
    pub(crate) retries: u64,
    /// Records waiting in the spill file.
    pub(crate) spilled_rows: u64,
    /// Size of the spill file.
    pub(crate) spill_bytes: u64,
    /// Records dropped (spill full).
    pub(crate) dropped_rows: u64,
    /// Records the sink refused (they can never be written).
    pub(crate) rejected_rows: u64,
    /// Those among them kept in the sink's dead-letter file.
    pub(crate) quarantined_rows: u64,
    /// The sink's dead-letter file, once it holds a record.
    pub(crate) dead_letter_file: Option<std::path::PathBuf>,
    /// How far behind the newest submitted record the sink is, ms.
    pub(crate) lag_ms: u64,
    /// Whether the sink is healthy now.
    pub(crate) healthy: bool,
}

/// The SQL store's health as a background probe last saw it, so `/readyz` and the
/// store-backed routes answer at once when the database is down instead of waiting for the
/// pool's acquire timeout (issue 12).
#[derive(Debug, Default)]
pub(crate) struct StoreHealth {
    /// 0: never probed (no probe runs in this process), 1: up, 2: down.
    state: AtomicU8,
    /// Why the last probe failed.
    error: Mutex<Option<String>>,
    /// Probes that failed.
    failures: AtomicU64,
    /// Woken when the store goes down, for the requests waiting on it.
    went_down: tokio::sync::Notify,
}

impl StoreHealth {
    const UP: u8 = 1;
    const DOWN: u8 = 2;

    /// Records a probe's outcome.
    pub(crate) fn set(&self, result: Result<(), String>) {
        match result {
            Ok(()) => {
                let was = self.state.swap(Self::UP, Ordering::Relaxed);
                if was == Self::DOWN {
                    tracing::info!("The SQL store answers again.");
                }
            }
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                let was = self.state.swap(Self::DOWN, Ordering::Relaxed);
                if was != Self::DOWN {
                    tracing::warn!(error = %e, "The SQL store does not answer.");
                }
                if let Ok(mut error) = self.error.lock() {
                    *error = Some(e);
                }
                self.went_down.notify_waiters();
            }
        }
    }

    /// `None` before the first probe (or when none runs); else whether the store answered,
    /// and why not.
    pub(crate) fn get(&self) -> Option<Result<(), String>> {
        match self.state.load(Ordering::Relaxed) {
            Self::UP => Some(Ok(())),
            Self::DOWN => Some(Err(self
                .error
                .lock()
                .ok()
                .and_then(|e| e.clone())
                .unwrap_or_default())),
            _ => None,
        }
    }

    /// Waits until a probe finds the store down (returns at once when it is down now).
    pub(crate) async fn down(&self) -> String {
        loop {
            let notified = self.went_down.notified();
            tokio::pin!(notified);
            // Registered before the state is read: a failure in between is not missed.
            notified.as_mut().enable();
            if let Some(Err(e)) = self.get() {
                return e;
            }
            notified.await;
        }
    }
}

/// One per-sink Prometheus series: name, type, help, and how to read it off a gauge.
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&SinkGauge) -> u64,
);

/// What broken or hostile Sparkplug traffic cost (issue 12), mirrored from the host
/// application's `HostStats` and the record builder's stats (each read from its source of
/// truth, so the numbers agree with the host's).
#[derive(Debug, Default)]
pub(crate) struct TrafficCounters {
    /// Payloads that did not decode.
    pub(crate) undecodable_payloads: AtomicU64,
    /// NDEATHs ignored for a bdSeq that is not the current NBIRTH's (late Wills, forgeries).
    pub(crate) stale_ndeaths_ignored: AtomicU64,
    /// NBIRTHs with another bdSeq while the node's session was live (duplicate node ids).
    pub(crate) duplicate_births: AtomicU64,
    /// Violations the host summed up per message instead of reporting them one by one.
    pub(crate) host_summarised: AtomicU64,
    /// Violations the record builder summed up per node, rule and window instead of storing
    /// them one by one.
    pub(crate) builder_summarised: AtomicU64,
    /// Never-born edge nodes the host stopped tracking (junk node ids).
    pub(crate) unborn_nodes_evicted: AtomicU64,
    /// Samples outside the acceptance window (stored flagged).
    pub(crate) samples_outside_window: AtomicU64,
}

impl TrafficCounters {
    /// The counters as Prometheus series: name, help, value.
    fn series(&self) -> [(&'static str, &'static str, u64); 6] {
        let get = Telemetry::get;
        [
            (
                "undecodable_payloads_total",
                "Sparkplug payloads that did not decode.",
                get(&self.undecodable_payloads),
            ),
            (
                "stale_ndeaths_ignored_total",
                "NDEATHs ignored for a bdSeq that is not the current NBIRTH's.",
                get(&self.stale_ndeaths_ignored),
            ),
            (
                "duplicate_births_total",
                "NBIRTHs with another bdSeq while the edge node's session was live.",
                get(&self.duplicate_births),
            ),
            (
                "violations_summarised_total",
                "Rule violations summed up instead of stored one by one.",
                get(&self.host_summarised) + get(&self.builder_summarised),
            ),
            (
                "unborn_nodes_evicted_total",
                "Never-born edge nodes the host stopped tracking.",
                get(&self.unborn_nodes_evicted),
            ),
            (
                "samples_outside_window_total",
                "Samples whose metric time is outside the acceptance window (stored flagged).",
                get(&self.samples_outside_window),
            ),
        ]
    }

    /// The status line's part: only what is not zero.
    pub(crate) fn status(&self) -> String {
        let get = Telemetry::get;
        let parts = [
            ("undecodable", get(&self.undecodable_payloads)),
            ("ignored NDEATHs", get(&self.stale_ndeaths_ignored)),
            ("duplicate births", get(&self.duplicate_births)),
            ("outside window", get(&self.samples_outside_window)),
        ];
        parts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!(" | {what} {n}"))
            .collect()
    }
}

/// The pipeline's counters. Every field is monotonic except the gauges.
#[derive(Debug, Default)]
pub(crate) struct Telemetry {
    /// Sparkplug messages with metrics the host delivered (births and data).
    pub(crate) messages: AtomicU64,
    /// Metric values the host delivered.
    pub(crate) metrics: AtomicU64,
    /// Protocol violations reported by the host.
    pub(crate) violations: AtomicU64,
    /// Seq gaps.
    pub(crate) seq_gaps: AtomicU64,
    /// Rebirth requests sent.
    pub(crate) rebirth_requests: AtomicU64,
    /// Events the host's channel dropped because ingest fell behind.
    pub(crate) events_dropped: AtomicU64,
    /// Edge nodes online now (gauge).
    pub(crate) nodes_online: AtomicI64,
    /// Whether the host application is connected (gauge).
    pub(crate) host_connected: AtomicBool,
    /// The SQL store's health, as the background probe last saw it (gauge).
    pub(crate) store: StoreHealth,
    /// The sinks, as last reported.
    pub(crate) sinks: Mutex<Vec<SinkGauge>>,
    /// Broken and hostile traffic.
    pub(crate) traffic: TrafficCounters,
}

impl Telemetry {
    /// Adds to a counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Replaces the sink gauges.
    pub(crate) fn set_sinks(&self, sinks: Vec<SinkGauge>) {
        if let Ok(mut guard) = self.sinks.lock() {
            *guard = sinks;
        }
    }

    /// A copy of the sink gauges.
    pub(crate) fn sinks(&self) -> Vec<SinkGauge> {
        self.sinks.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub(crate) fn prometheus(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP iceplant_{name} {help}\n# TYPE iceplant_{name} counter"
            );
            let _ = writeln!(out, "iceplant_{name} {value}");
        };
        counter(
            "messages_total",
            "Sparkplug messages with metrics received.",
            Self::get(&self.messages),
        );
        counter(
            "metrics_total",
            "Metric values received.",
            Self::get(&self.metrics),
        );
        counter(
            "violations_total",
            "Sparkplug rule violations seen.",
            Self::get(&self.violations),
        );
        counter(
            "seq_gaps_total",
            "Seq gaps seen.",
            Self::get(&self.seq_gaps),
        );
        counter(
            "rebirth_requests_total",
            "Rebirth requests sent.",
            Self::get(&self.rebirth_requests),
        );
        counter(
            "host_events_dropped_total",
            "Host events dropped by a full channel.",
            Self::get(&self.events_dropped),
        );
        for (name, help, value) in self.traffic.series() {
            counter(name, help, value);
        }
        let _ = writeln!(
            out,
            "# HELP iceplant_nodes_online Edge nodes online.\n# TYPE iceplant_nodes_online gauge\n\
             iceplant_nodes_online {}",
            self.nodes_online.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP iceplant_host_connected Whether the host application is connected.\n\
             # TYPE iceplant_host_connected gauge\niceplant_host_connected {}",
            u8::from(self.host_connected.load(Ordering::Relaxed))
        );
        let store_up = matches!(self.store.get(), Some(Ok(())));
        let _ = writeln!(
            out,
            "# HELP iceplant_store_up Whether the SQL store answered its last health probe.\n\
             # TYPE iceplant_store_up gauge\niceplant_store_up {}",
            u8::from(store_up)
        );
        let _ = writeln!(
            out,
            "# HELP iceplant_store_probe_failures_total Health probes the SQL store did not answer in time.\n\
             # TYPE iceplant_store_probe_failures_total counter\niceplant_store_probe_failures_total {}",
            self.store.failures.load(Ordering::Relaxed)
        );
        let sinks = self.sinks();
        let series: [Series; 8] = [
            (
                "sink_rows_written_total",
                "counter",
                "Records written by each sink.",
                |s| s.rows_written,
            ),
            (
                "sink_retries_total",
                "counter",
                "Writes retried by each sink.",
                |s| s.retries,
            ),
            (
                "sink_dropped_rows_total",
                "counter",
                "Records dropped by each sink (spill full).",
                |s| s.dropped_rows,
            ),
            (
                "sink_rejected_rows_total",
                "counter",
                "Records refused by each sink (they can never be written).",
                |s| s.rejected_rows,
            ),
            (
                "sink_quarantined_rows_total",
                "counter",
                "Records each sink refused that were kept in its dead-letter file.",
                |s| s.quarantined_rows,
            ),
            (
                "sink_spill_rows",
                "gauge",
                "Records waiting in each sink's spill file.",
                |s| s.spilled_rows,
            ),
            (
                "sink_spill_bytes",
                "gauge",
                "Size of each sink's spill file.",
                |s| s.spill_bytes,
            ),
            (
                "sink_lag_ms",
                "gauge",
                "How far each sink is behind, in milliseconds.",
                |s| s.lag_ms,
            ),
        ];
        for (name, kind, help, value) in series {
            let _ = writeln!(
                out,
                "# HELP iceplant_{name} {help}\n# TYPE iceplant_{name} {kind}"
            );
            for sink in &sinks {
                let _ = writeln!(
                    out,
                    "iceplant_{name}{{sink=\"{}\"}} {}",
                    sink.name,
                    value(sink)
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_every_series_once_with_help_and_type() {
        let t = Telemetry::default();
        Telemetry::add(&t.metrics, 5);
        t.set_sinks(vec![SinkGauge {
            name: "sqlite".into(),
            rows_written: 7,
            ..SinkGauge::default()
        }]);
        let text = t.prometheus();
        assert!(text.contains("iceplant_metrics_total 5\n"), "{text}");
        assert!(
            text.contains("iceplant_sink_rows_written_total{sink=\"sqlite\"} 7\n"),
            "{text}"
        );
        for line in text.lines().filter(|l| l.starts_with("# TYPE")) {
            let name = line.split_whitespace().nth(2).unwrap();
            assert_eq!(
                text.matches(&format!("# TYPE {name} ")).count(),
                1,
                "{name}"
            );
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
        }
    }
}
