//! What the monitor follows of each host application: its STATE births and deaths.

use crate::session::Timestamp;
use crate::topic::StateMessage;

use super::finding::Emit;
use super::report::{Status, Tally};

/// A host application.
#[derive(Debug)]
pub(super) struct HostTracker {
    pub(super) last_seen: Timestamp,
    pub(super) tally: Tally,
    pub(super) lower: String,
    pub(super) status: Status,
    /// The timestamp of the last birth: the CONNECT time of the host's current session.
    pub(super) birth_timestamp: Option<u64>,
    pub(super) retain_observed: bool,
}

impl HostTracker {
    pub(super) fn new(now: Timestamp, lower: String) -> Self {
        HostTracker {
            last_seen: now,
            tally: Tally::default(),
            lower,
            status: Status::Unknown,
            birth_timestamp: None,
            retain_observed: false,
        }
    }

    /// A STATE message as delivered to a subscription of QoS `subscription_qos`.
    pub(super) fn handle(
        &mut self,
        emit: &mut Emit<'_>,
        payload: &[u8],
        qos: u8,
        retain: bool,
        subscription_qos: u8,
    ) {
        let state = match StateMessage::parse(payload) {
            Ok(state) => state,
            Err(e) => {
                let detail = format!("STATE payload is not the JSON form: {e}");
                return emit.must("host-topic-phid-birth-payload", detail);
            }
        };
        let (word, qos_rule) = if state.online {
            ("birth", "host-topic-phid-birth-qos")
        } else {
            ("death", "host-topic-phid-death-qos")
        };
        // Delivered QoS = min(published, subscribed): below the subscription's it shows the
        // publish QoS; above 1 it is a QoS 2 publish.
        if qos > 1 || (qos == 0 && subscription_qos >= 1) {
            let detail = format!(
                "STATE {word} delivered at QoS {qos} to a QoS {subscription_qos} subscription: \
                 it was not published at QoS 1"
            );
            emit.must(qos_rule, detail);
        }
        // A retained delivery proves the retain flag; a live one proves nothing (brokers clear
        // the flag on live deliveries).
        if retain {
            self.retain_observed = true;
            if self.status != Status::Unknown {
                return; // a replay of what was already seen live
            }
        }
        let ts = state.timestamp;
        match (state.online, self.birth_timestamp) {
            (true, Some(previous)) if ts < previous => {
                let detail = format!(
                    "STATE birth timestamp {ts} is before the previous birth's {previous}: a \
                     session's STATE carries its CONNECT time, which never goes back"
                );
                emit.must("host-topic-phid-birth-payload", detail);
            }
            (false, Some(birth)) if ts < birth => {
                let detail = format!(
                    "STATE death with timestamp {ts}, older than the current birth's {birth}: a \
                     stale Will, which edge nodes ignore"
                );
                return emit.info(
                    "operational-behavior-edge-node-termination-host-offline-timestamp",
                    detail,
                );
            }
            _ => {}
        }
        if state.online {
            self.status = Status::Online;
            self.birth_timestamp = Some(ts);
        } else {
            self.status = Status::Offline;
        }
    }
}
