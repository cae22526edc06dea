//! The host's STATE messages (SPARKPLUG.md 1.3, 1.4 and 2.6): its Will, subscriptions, birth
//! and death, and what it does with the STATE messages it receives.

use super::{Connection, HostApplication, HostEvent, OwnStateOffline, OwnStateResponse};
use crate::session::{DisconnectReason, Publish, QoS, Subscription, Timestamp, Transmit, Will};
use crate::topic::{HostId, MessageType, NAMESPACE, StateMessage, Topic};

/// `spBv1.0/STATE/<host_id>`.
fn topic(host_id: &HostId) -> String {
    Topic::new_state(host_id.clone()).to_string()
}

/// The Will of a CONNECT sent at `t_connect`: the STATE death with that time, QoS 1, retained.
pub(super) fn will(host_id: &HostId, t_connect: Timestamp) -> Will {
    Will {
        topic: topic(host_id),
        payload: StateMessage::death(t_connect.as_millis())
            .to_json()
            .into_bytes(),
        qos: QoS::AtLeastOnce,
        retain: true,
    }
}

/// The subscriptions made before the STATE birth: the whole namespace (the literal filter the
/// TCK accepts) and the host's own STATE topic, QoS 1.
pub(super) fn subscriptions(host_id: &HostId) -> Transmit {
    Transmit::Subscribe(vec![
        Subscription {
            filter: format!("{NAMESPACE}/#"),
            qos: QoS::AtLeastOnce,
        },
        Subscription {
            filter: topic(host_id),
            qos: QoS::AtLeastOnce,
        },
    ])
}

/// A STATE birth or death publish: QoS 1, retained.
pub(super) fn publish(host_id: &HostId, message: StateMessage) -> Transmit {
    Transmit::Publish(Publish {
        topic: topic(host_id),
        payload: message.to_json().into_bytes(),
        qos: QoS::AtLeastOnce,
        retain: true,
    })
}

impl HostApplication {
    /// A STATE message of `host`, received at `now`: another host's is reported
    /// (`tck-id-message-flow-hid-sparkplug-state-message-delivered`); an offline one of the
    /// host's own is answered as [`HostConfig::own_state_offline`](super::HostConfig) says.
    pub(super) fn handle_state(&mut self, now: Timestamp, host: HostId, payload: &[u8]) {
        let state = match StateMessage::parse(payload) {
            Ok(state) => state,
            Err(error) => {
                self.out.stats.undecodable_payloads += 1;
                self.out.events.push_back(HostEvent::Violation {
                    group: None,
                    node: None,
                    device: None,
                    message_type: Some(MessageType::State),
                    tck_id: "host-topic-phid-birth-payload",
                    detail: format!("STATE of {host}: {error}"),
                    recommendation: false,
                });
                return;
            }
        };
        if host != self.config.host_id {
            self.out
                .events
                .push_back(HostEvent::HostState { host, state });
            return;
        }
        if state.online {
            return; // its own birth, echoed
        }
        let Connection::Online { t_connect } = self.connection else {
            return;
        };
        // Edge nodes act on an offline STATE no older than the birth they saw (SPARKPLUG.md
        // 2.6); an older one is a stale Will they ignore.
        let edges_went_offline = state.timestamp >= t_connect.as_millis();
        let response = match self.config.own_state_offline {
            OwnStateOffline::NewSession if edges_went_offline => {
                let past_it = Timestamp::from_millis(state.timestamp.saturating_add(1));
                self.state_floor = self.state_floor.max(past_it);
                self.out
                    .transmits
                    .push_back(Transmit::Disconnect(DisconnectReason::NewSession));
                self.connection = Connection::AwaitingDisconnect;
                OwnStateResponse::NewSession {
                    next_timestamp: now.max(self.state_floor),
                }
            }
            OwnStateOffline::NewSession | OwnStateOffline::RepublishSameTimestamp => {
                let birth = StateMessage::birth(t_connect.as_millis());
                let publish = publish(&self.config.host_id, birth);
                self.out.transmits.push_back(publish);
                OwnStateResponse::RepublishedBirth
            }
            _ => OwnStateResponse::Reported,
        };
        self.out.events.push_back(HostEvent::OwnStateOffline {
            timestamp: state.timestamp,
            current: t_connect,
            response,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tck-id-host-topic-phid-death-payload, tck-id-host-topic-phid-birth-payload: the JSON
    /// bodies, timestamps as integer literals.
    #[test]
    fn state_payloads() {
        let id = HostId::new("h").unwrap();
        let will = will(&id, Timestamp::from_millis(1_700_000_000_000));
        assert_eq!(will.topic, "spBv1.0/STATE/h");
        assert_eq!(
            will.payload,
            br#"{"online":false,"timestamp":1700000000000}"#
        );
        let Transmit::Publish(birth) = publish(&id, StateMessage::birth(5)) else {
            panic!("a publish");
        };
        assert_eq!(birth.payload, br#"{"online":true,"timestamp":5}"#);
        assert_eq!((birth.qos, birth.retain), (QoS::AtLeastOnce, true));
    }
}
