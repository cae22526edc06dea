//! `Payload`: the protobuf body of every Sparkplug B message except STATE.

use crate::Metric;

/// A Sparkplug B payload (SPARKPLUG.md 3.7 and 4).
///
/// Decode one with [`Payload::decode`], encode with [`Payload::encode_to_vec`], check it
/// against the rules of its message type with [`validate`](crate::validate()).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Payload {
    /// Publish time, milliseconds since the Unix epoch (UTC). Required except in NDEATH.
    pub timestamp: Option<u64>,
    /// The metrics.
    pub metrics: Vec<Metric>,
    /// Message sequence number 0..=255; present in every edge message except NDEATH, absent in
    /// NDEATH, NCMD and DCMD (`tck-id-payloads-sequence-num-always-included`). `u64` as on the
    /// wire, so an out-of-range value from a peer is kept for validation to report.
    pub seq: Option<u64>,
    /// Optional tag of the body's schema or encoding (`SPBV1.0_COMPRESSED` for compressed
    /// payloads).
    pub uuid: Option<String>,
    /// Optional opaque body.
    pub body: Option<Vec<u8>>,
}

impl Payload {
    /// An empty payload with a timestamp.
    pub fn new(timestamp: u64) -> Self {
        Payload {
            timestamp: Some(timestamp),
            ..Payload::default()
        }
    }

    /// Sets the sequence number (builder style).
    pub fn with_seq(mut self, seq: u8) -> Self {
        self.seq = Some(seq.into());
        self
    }

    /// Adds a metric (builder style).
    pub fn with_metric(mut self, metric: Metric) -> Self {
        self.metrics.push(metric);
        self
    }

    /// The first metric named `name`.
    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics
            .iter()
            .find(|m| m.name.as_deref() == Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_lookup() {
        let p = Payload::new(7)
            .with_seq(3)
            .with_metric(Metric::new("a", 1i32))
            .with_metric(Metric::new("a", 2i32));
        assert_eq!((p.timestamp, p.seq), (Some(7), Some(3)));
        assert_eq!(
            p.metric("a").and_then(|m| m.value.as_ref()?.as_i64()),
            Some(1),
            "the first one"
        );
        assert!(p.metric("b").is_none());
    }
}
