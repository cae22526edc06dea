//! Fault injection on one node's outgoing messages: the stage between the edge node's
//! transmits and what the simulator puts on the wire.
//!
//! Message faults change the next data message (NDATA or DDATA) after they are injected:
//!
//! | fault | what the wire sees | what a host sees |
//! |---|---|---|
//! | `skip_seq` | the message is not published | a seq gap |
//! | `repeat_seq` | the message twice | a seq gap (the repeat) |
//! | `reorder` | this message after the next one | a seq gap, then the late one |
//! | `malformed_payload` | bytes that are not a payload | a violation, a rebirth request |
//! | `unknown_alias` | its first metric's alias (or name) is one no birth declared | a rebirth request |
//! | `data_before_birth` | after a reconnect, the first data message before the births | a rebirth request |
//!
//! Connection faults (drop, flapping, store-and-forward bursts) and clock skew are handled by
//! the node itself (`node.rs`).

use std::collections::VecDeque;

use sparkplug_b::session::Publish;
use sparkplug_b::{Payload, PayloadView};

/// An alias no node of the simulator declares.
pub(crate) const UNKNOWN_ALIAS: u64 = 0x7FFF_FFFF;
/// A name no node of the simulator declares.
pub(crate) const UNKNOWN_NAME: &str = "Fault/UnknownMetric";
/// A payload that does not decode: field 1 (timestamp) as a varint that never ends.
pub(crate) const MALFORMED: &[u8] = &[
    0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
];

/// A change to the next data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mutation {
    Skip,
    Repeat,
    Reorder,
    Malformed,
    UnknownAlias,
}

/// The message faults waiting for data messages, and the messages held back.
#[derive(Debug, Clone, Default)]
pub(crate) struct MessageFaults {
    pending: VecDeque<Mutation>,
    /// Births held back until the first data message (`data_before_birth`).
    pub(crate) hold_births: bool,
    held_births: Vec<Publish>,
    /// A data message held back to go after the next one (`reorder`).
    reordered: Option<Publish>,
}

/// What kind of message a topic carries, from its verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Birth,
    Data,
    Other,
}

pub(crate) fn kind(topic: &str) -> Kind {
    let verb = topic.split('/').nth(2).unwrap_or("");
    match verb {
        "NBIRTH" | "DBIRTH" => Kind::Birth,
        "NDATA" | "DDATA" => Kind::Data,
        _ => Kind::Other,
    }
}

impl MessageFaults {
    pub(crate) fn push(&mut self, m: Mutation) {
        self.pending.push_back(m);
    }

    /// Forgets what a session left behind: held messages belong to the session that ended.
    pub(crate) fn end_session(&mut self) {
        self.held_births.clear();
        self.reordered = None;
    }

    /// Passes one publish through the faults; what goes on the wire is appended to `out`.
    pub(crate) fn filter(&mut self, publish: Publish, out: &mut Vec<Publish>) {
        match kind(&publish.topic) {
            Kind::Birth if self.hold_births => self.held_births.push(publish),
            Kind::Data if self.hold_births => {
                self.hold_births = false;
                out.push(publish);
                out.append(&mut self.held_births);
            }
            Kind::Data => {
                let held = self.reordered.take();
                match self.pending.pop_front() {
                    None => out.push(publish),
                    Some(Mutation::Skip) => {}
                    Some(Mutation::Repeat) => {
                        out.push(publish.clone());
                        out.push(publish);
                    }
                    Some(Mutation::Reorder) => {
                        // Held until the next data message; a reorder already holding one
                        // lets it go first.
                        out.extend(held);
                        self.reordered = Some(publish);
                        return;
                    }
                    Some(Mutation::Malformed) => out.push(Publish {
                        payload: MALFORMED.to_vec(),
                        ..publish
                    }),
                    Some(Mutation::UnknownAlias) => out.push(unknown_alias(publish)),
                }
                out.extend(held);
            }
            _ => out.push(publish),
        }
    }
}

/// The publish with its first metric pointing at an alias (or name) no birth declared.
fn unknown_alias(publish: Publish) -> Publish {
    let Ok(mut payload) = Payload::decode(&publish.payload) else {
        return publish;
    };
    if let Some(m) = payload.metrics.first_mut() {
        if m.alias.is_some() {
            m.alias = Some(UNKNOWN_ALIAS);
        } else {
            m.name = Some(UNKNOWN_NAME.to_owned());
        }
    }
    match payload.encode_to_vec() {
        Ok(bytes) => Publish {
            payload: bytes,
            ..publish
        },
        Err(_) => publish,
    }
}

/// How many metrics a data message carries (0 when it does not decode).
pub(crate) fn metric_count(payload: &[u8]) -> usize {
    PayloadView::new(payload).map_or(0, |v| v.metric_count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkplug_b::Metric;
    use sparkplug_b::session::QoS;

    fn data(seq: u8) -> Publish {
        let payload = Payload::new(1)
            .with_seq(seq)
            .with_metric(Metric::aliased(3, 1.0));
        Publish {
            topic: "spBv1.0/G/DDATA/N/D".into(),
            payload: payload.encode_to_vec().unwrap(),
            qos: QoS::AtMostOnce,
            retain: false,
        }
    }

    fn seqs(out: &[Publish]) -> Vec<Option<u64>> {
        out.iter()
            .map(|p| Payload::decode(&p.payload).ok().and_then(|p| p.seq))
            .collect()
    }

    #[test]
    fn mutations_apply_to_data_in_order() {
        let mut f = MessageFaults::default();
        let mut out = Vec::new();
        for m in [Mutation::Skip, Mutation::Repeat, Mutation::Reorder] {
            f.push(m);
        }
        for s in 1..=5 {
            f.filter(data(s), &mut out);
        }
        assert_eq!(seqs(&out), [Some(2), Some(2), Some(4), Some(3), Some(5)]);
    }

    #[test]
    fn malformed_and_unknown_alias() {
        assert!(Payload::decode(MALFORMED).is_err());
        let mut f = MessageFaults::default();
        let mut out = Vec::new();
        f.push(Mutation::Malformed);
        f.push(Mutation::UnknownAlias);
        f.filter(data(1), &mut out);
        f.filter(data(2), &mut out);
        assert_eq!(out[0].payload, MALFORMED);
        let p = Payload::decode(&out[1].payload).unwrap();
        assert_eq!((p.seq, p.metrics[0].alias), (Some(2), Some(UNKNOWN_ALIAS)));
        assert_eq!(metric_count(&out[1].payload), 1);
        assert_eq!(metric_count(MALFORMED), 0);
    }

    #[test]
    fn births_held_behind_the_first_data() {
        let mut f = MessageFaults {
            hold_births: true,
            ..MessageFaults::default()
        };
        let mut out = Vec::new();
        let birth = Publish {
            topic: "spBv1.0/G/NBIRTH/N".into(),
            ..data(0)
        };
        f.filter(birth, &mut out);
        assert!(out.is_empty());
        f.filter(data(1), &mut out);
        assert_eq!(kind(&out[0].topic), Kind::Data);
        assert_eq!(kind(&out[1].topic), Kind::Birth);
        assert_eq!(kind("spBv1.0/G/NDEATH/N"), Kind::Other);
    }
}
