//! Ingest: the host application's events become telemetry and records, and records go to the
//! sinks in batches.
//!
//! The host runner is configured to wait rather than drop when this loop falls behind
//! (`EventOverflow::Wait`), so every event the host produced reaches the delivery layer; the
//! delivery layer's own buffers and spill files absorb a slow store.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::broadcast;

use spark_sink::{AcceptanceWindow, Batch, RecordBuilder};
use sparkplug_b::driver::{EventReceiver, HostHandle, RunnerEvent};
use sparkplug_b::session::HostEvent;
use sparkplug_b::topic::{EdgeNodeId, GroupId};

use crate::live::{self, LiveEvent};
use crate::telemetry::Telemetry;

/// Where batches go: the delivery pipeline in the app, a vector in tests.
pub(crate) trait Deliver: Send {
    /// Hands over a batch; waits when the delivery layer wants the producer to slow down.
    fn deliver(&mut self, batch: Batch) -> impl std::future::Future<Output = ()> + Send;
}

/// Batching limits.
const MAX_BATCH: usize = 5_000;
const MAX_WAIT: Duration = Duration::from_millis(200);

/// Runs until the host's event channel closes (the host runner stopped), then delivers what
/// is left.
pub(crate) async fn run(
    mut events: EventReceiver<HostEvent>,
    mut deliver: impl Deliver,
    groups: Vec<String>,
    telemetry: Arc<Telemetry>,
    newest_metric_ms: Arc<AtomicI64>,
    live: broadcast::Sender<LiveEvent>,
    window: AcceptanceWindow,
) {
    let mut builder = RecordBuilder::new().with_acceptance_window(window);
    let mut online = HashSet::new();
    let mut batch = Batch::new();
    let mut tick = tokio::time::interval(MAX_WAIT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                match event {
                    RunnerEvent::Session(event) => {
                        observe(&event, &telemetry, &newest_metric_ms, &mut online, &window);
                        if live.receiver_count() > 0 {
                            if let Some(update) = live::of(&event) {
                                // No receiver left is not an error: the dashboard closed.
                                let _ = live.send(update);
                            }
                        }
                        if wanted(&event, &groups) {
                            builder.push_event_at(&event, now_ms(), &mut batch);
                        }
                        let stats = builder.stats();
                        let traffic = &telemetry.traffic;
                        traffic.samples_outside_window.store(stats.outside_window, Ordering::Relaxed);
                        traffic.builder_summarised.store(stats.violations_summarised, Ordering::Relaxed);
                    }
                    RunnerEvent::Connected { broker } => {
                        telemetry.host_connected.store(true, Ordering::Relaxed);
                        tracing::info!(%broker, "The host application is connected.");
                    }
                    RunnerEvent::ConnectionLost { error, reconnect_in } => {
                        telemetry.host_connected.store(false, Ordering::Relaxed);
                        tracing::warn!(%error, ?reconnect_in, "The host application lost its broker.");
                    }
                    RunnerEvent::EventsDropped { count } => {
                        Telemetry::add(&telemetry.events_dropped, count);
                    }
                    _ => {}
                }
                if batch.len() >= MAX_BATCH {
                    deliver.deliver(std::mem::take(&mut batch)).await;
                }
            }
            _ = tick.tick() => {
                builder.flush_violations(now_ms(), &mut batch);
                if !batch.is_empty() {
                    deliver.deliver(std::mem::take(&mut batch)).await;
                }
            }
        }
    }
    builder.finish_violations(&mut batch);
    if !batch.is_empty() {
        deliver.deliver(batch).await;
    }
    telemetry.host_connected.store(false, Ordering::Relaxed);
}

/// Mirrors the host application's counters ([`sparkplug_b::session::host::HostStats`]) into
/// the telemetry every half second, until the host runner stops.
pub(crate) async fn mirror_host_stats(host: HostHandle, telemetry: Arc<Telemetry>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Ok(stats) = host.inspect(|h| h.stats()).await else {
            return;
        };
        let t = &telemetry.traffic;
        t.undecodable_payloads
            .store(stats.undecodable_payloads, Ordering::Relaxed);
        t.stale_ndeaths_ignored
            .store(stats.stale_ndeaths_ignored, Ordering::Relaxed);
        t.duplicate_births
            .store(stats.duplicate_births, Ordering::Relaxed);
        t.host_summarised
            .store(stats.violations_summarised, Ordering::Relaxed);
        t.unborn_nodes_evicted
            .store(stats.unborn_nodes_evicted, Ordering::Relaxed);
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Whether the event belongs to a stored group (events naming no group always are).
fn wanted(event: &HostEvent, groups: &[String]) -> bool {
    if groups.is_empty() {
        return true;
    }
    let group = match event {
        HostEvent::NodeOnline { group, .. }
        | HostEvent::NodeOffline { group, .. }
        | HostEvent::DeviceOnline { group, .. }
        | HostEvent::DeviceOffline { group, .. }
        | HostEvent::Metrics { group, .. }
        | HostEvent::SeqGap { group, .. }
        | HostEvent::RebirthRequested { group, .. }
        | HostEvent::RebirthSuppressed { group, .. }
        | HostEvent::StaleNdeathIgnored { group, .. }
        | HostEvent::DuplicateNodeBirth { group, .. } => Some(group),
        HostEvent::Violation { group, .. } => group.as_ref(),
        _ => None,
    };
    group.is_none_or(|g| groups.iter().any(|want| want == g.as_str()))
}

/// Counts the event in the telemetry.
fn observe(
    event: &HostEvent,
    telemetry: &Telemetry,
    newest_metric_ms: &AtomicI64,
    online: &mut HashSet<(GroupId, EdgeNodeId)>,
    window: &AcceptanceWindow,
) {
    match event {
        HostEvent::Metrics {
            metrics,
            timestamp,
            received_at,
            ..
        } => {
            Telemetry::add(&telemetry.messages, 1);
            Telemetry::add(&telemetry.metrics, metrics.len() as u64);
            let times = metrics.iter().map(|m| (m.timestamp(), m.is_historical()));
            if let Some(newest) = newest_current(times, *timestamp, received_at.as_millis(), window)
            {
                newest_metric_ms.fetch_max(newest, Ordering::Relaxed);
            }
        }
        HostEvent::NodeOnline { group, node, .. } => {
            online.insert((group.clone(), node.clone()));
            telemetry
                .nodes_online
                .store(online.len() as i64, Ordering::Relaxed);
        }
        HostEvent::NodeOffline { group, node, .. } => {
            online.remove(&(group.clone(), node.clone()));
            telemetry
                .nodes_online
                .store(online.len() as i64, Ordering::Relaxed);
        }
        HostEvent::ConnectionLost { .. } => {
            online.clear();
            telemetry.nodes_online.store(0, Ordering::Relaxed);
        }
        HostEvent::SeqGap { .. } => Telemetry::add(&telemetry.seq_gaps, 1),
        HostEvent::RebirthRequested { .. } => {
            Telemetry::add(&telemetry.rebirth_requests, 1);
        }
        HostEvent::Violation { .. } => Telemetry::add(&telemetry.violations, 1),
        _ => {}
    }
}

/// The newest metric time of a message's samples (their own timestamp, else the payload's,
/// else the receive time, and whether each is historical) inside the acceptance window: the
/// time the report watermarks follow. A sample dated 2100 must not close every report window
/// up to 2100. `None` when no sample is inside.
fn newest_current(
    metrics: impl ExactSizeIterator<Item = (Option<u64>, bool)>,
    payload_ts: Option<u64>,
    received_at_ms: u64,
    window: &AcceptanceWindow,
) -> Option<i64> {
    let time = |ts: u64| i64::try_from(ts).unwrap_or(i64::MAX);
    let received = time(received_at_ms);
    let default_ts = payload_ts.unwrap_or(received_at_ms);
    if metrics.len() == 0 {
        return Some(time(default_ts)).filter(|&t| window.accepts(t, received, false));
    }
    metrics
        .map(|(ts, historical)| (time(ts.unwrap_or(default_ts)), historical))
        .filter(|&(t, historical)| window.accepts(t, received, historical))
        .map(|(t, _)| t)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12: a DDATA dated 2100 does not move the time report watermarks follow; a sample
    /// a minute ahead (clock drift) does.
    #[test]
    fn samples_outside_the_window_do_not_move_the_newest_time() {
        let window = AcceptanceWindow::default();
        let now = 1_700_000_000_000u64;
        let year_2100 = 4_102_444_800_000u64;
        let newest = |metrics: Vec<(Option<u64>, bool)>| {
            newest_current(metrics.into_iter(), Some(now), now, &window)
        };
        assert_eq!(newest(vec![(Some(year_2100), false)]), None);
        assert_eq!(
            newest(vec![(Some(year_2100), false), (Some(now - 5), false)]),
            Some(now as i64 - 5)
        );
        assert_eq!(
            newest(vec![(Some(now + 60_000), false), (None, false)]),
            Some(now as i64 + 60_000)
        );
        assert_eq!(newest(vec![]), Some(now as i64));
    }
}
