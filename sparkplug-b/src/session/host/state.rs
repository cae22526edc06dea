//! The host's STATE messages (SPARKPLUG.md 1.3, 1.4 and 2.6): its Will, subscriptions, birth
//! and death, and what it does with the STATE messages it receives.

use super::{Connection, HostApplication, HostEvent};
use crate::session::{Publish, QoS, Subscription, Timestamp, Transmit, Will};
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
    /// A STATE message of `host`: another host's is reported; an offline one of the host's own
    /// is answered with its birth again, same timestamp
    /// (`tck-id-message-flow-hid-sparkplug-state-message-delivered`).
    pub(super) fn handle_state(&mut self, host: HostId, payload: &[u8]) {
        let state = match StateMessage::parse(payload) {
            Ok(state) => state,
            Err(error) => {
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
        let republished = match self.connection {
            Connection::Online { t_connect } if self.config.republish_online => {
                let birth = StateMessage::birth(t_connect.as_millis());
                let publish = publish(&self.config.host_id, birth);
                self.out.transmits.push_back(publish);
                true
            }
            _ => false,
        };
        self.out.events.push_back(HostEvent::OwnStateOffline {
            timestamp: state.timestamp,
            republished,
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
