//! Statistics shared between the running simulator and its handles.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sparkplug_b::session::Timestamp;

use crate::scenario::Scenario;
use crate::stats::Counters;

/// The simulator's statistics at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// Wall time since the run started.
    pub elapsed: Duration,
    /// The simulated clock.
    pub sim_time: Timestamp,
    /// Edge nodes in the scenario.
    pub nodes: usize,
    /// Edge nodes with a connection up.
    pub connected: usize,
    /// Edge nodes connected and born.
    pub online: usize,
    /// What the scenario published, sampled, injected.
    pub counters: Counters,
    /// Publishes and subscriptions that found their connection's channel full or no
    /// connection, and were dropped.
    pub send_failures: u64,
    /// How late the last scheduled step ran, wall time.
    pub lag: Duration,
    /// The worst lag so far.
    pub max_lag: Duration,
}

impl StatsSnapshot {
    /// Messages per second between `earlier` and this snapshot.
    pub fn messages_per_sec(&self, earlier: &StatsSnapshot) -> f64 {
        rate(
            self.counters.messages,
            earlier.counters.messages,
            self.elapsed,
            earlier.elapsed,
        )
    }

    /// Metric values per second between `earlier` and this snapshot.
    pub fn metrics_per_sec(&self, earlier: &StatsSnapshot) -> f64 {
        rate(
            self.counters.metrics,
            earlier.counters.metrics,
            self.elapsed,
            earlier.elapsed,
        )
    }

    /// The status line: nodes connected, rates since `earlier`, lag, simulated time.
    pub fn status_line(&self, earlier: &StatsSnapshot) -> String {
        format!(
            "nodes {}/{} online ({} connected) | {:.0} msg/s | {:.0} metrics/s | lag {} ms (max {}) | dropped {} | t+{:.0} s",
            self.online,
            self.nodes,
            self.connected,
            self.messages_per_sec(earlier),
            self.metrics_per_sec(earlier),
            self.lag.as_millis(),
            self.max_lag.as_millis(),
            self.send_failures,
            self.elapsed.as_secs_f64(),
        )
    }
}

fn rate(now: u64, before: u64, t_now: Duration, t_before: Duration) -> f64 {
    let dt = t_now.saturating_sub(t_before).as_secs_f64();
    if dt > 0.0 {
        now.saturating_sub(before) as f64 / dt
    } else {
        0.0
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    began: Instant,
    inner: Mutex<StatsSnapshot>,
    error: Mutex<Option<String>>,
}

impl Shared {
    pub(crate) fn new(nodes: usize) -> Self {
        Shared {
            began: Instant::now(),
            inner: Mutex::new(StatsSnapshot {
                elapsed: Duration::ZERO,
                sim_time: Timestamp::default(),
                nodes,
                connected: 0,
                online: 0,
                counters: Counters::default(),
                send_failures: 0,
                lag: Duration::ZERO,
                max_lag: Duration::ZERO,
            }),
            error: Mutex::new(None),
        }
    }

    pub(crate) fn record_lag(&self, lag: Duration) {
        if let Ok(mut s) = self.inner.lock() {
            s.lag = lag;
            s.max_lag = s.max_lag.max(lag);
        }
    }

    pub(crate) fn update(&self, scenario: &Scenario, send_failures: u64, connected: usize) {
        if let Ok(mut s) = self.inner.lock() {
            s.elapsed = self.began.elapsed();
            s.sim_time = scenario.now();
            s.counters = scenario.counters();
            s.connected = connected;
            s.send_failures = send_failures;
        }
    }

    pub(crate) fn set_online(&self, online: usize) {
        if let Ok(mut s) = self.inner.lock() {
            s.online = online;
        }
    }

    pub(crate) fn set_error(&self, e: String) {
        if let Ok(mut s) = self.error.lock() {
            *s = Some(e);
        }
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|s| s.clone())
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        self.inner
            .lock()
            .map(|s| *s)
            .unwrap_or_else(|e| *e.into_inner())
    }
}
