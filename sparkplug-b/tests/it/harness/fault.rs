//! Fault injection between the peers and the broker: withheld and lost messages.
//!
//! MQTT over one TCP connection never reorders or loses a QoS 0/1 message, but a Sparkplug host
//! must cope when it happens anyway (a broker cluster, a bridge, a crash between PUBLISH and
//! PUBACK). The rules here let a test make it happen at a precise message.

use super::broker::Message;
use super::topic;

/// What happens to the message a rule catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// The broker sees it only when the test releases it.
    Hold,
    /// The broker never sees it.
    Drop,
}

/// A one-shot rule: the next message whose topic matches `filter`.
#[derive(Debug, Clone)]
struct Rule {
    filter: String,
    action: Action,
}

/// Pending one-shot rules and the messages held so far.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<Rule>,
    held: Vec<Message>,
}

impl Faults {
    /// Arms a rule for the next message on a topic matching `filter`.
    ///
    /// # Panics
    /// When `filter` is not a valid MQTT topic filter.
    #[track_caller]
    pub(crate) fn arm(&mut self, filter: &str, action: Action) {
        assert!(
            topic::is_valid_filter(filter),
            "invalid topic filter {filter:?}"
        );
        self.rules.push(Rule {
            filter: filter.to_owned(),
            action,
        });
    }

    /// The action of the first armed rule matching `topic`, which is used up.
    pub(crate) fn take(&mut self, topic: &str) -> Option<Action> {
        let index = self
            .rules
            .iter()
            .position(|r| topic::matches(&r.filter, topic))?;
        Some(self.rules.remove(index).action)
    }

    /// Keeps `message` until [`Faults::release`].
    pub(crate) fn hold(&mut self, message: Message) {
        self.held.push(message);
    }

    /// The held messages, in the order they were held.
    pub(crate) fn held(&self) -> &[Message] {
        &self.held
    }

    /// Takes every held message, in the order they were held.
    pub(crate) fn release(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.held)
    }

    /// How many rules have not caught a message yet.
    pub(crate) fn armed(&self) -> usize {
        self.rules.len()
    }
}
