//! Rebirth requests: why the host asks an edge node for a new birth, and the per-node rate limit
//! that keeps several hosts from causing a rebirth storm (SPARKPLUG.md 2.3).

use core::time::Duration;

use crate::session::{Seq, Timestamp};
use crate::topic::MessageType;

/// Why the host asked an edge node for a rebirth (an NCMD `Node Control/Rebirth` = true).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RebirthReason {
    /// A message other than NBIRTH (or a DDATA or DDEATH for a device without a current DBIRTH)
    /// arrived while the host holds no birth for it: the host joined after the birth, lost its
    /// connection, or the birth was lost.
    MessageBeforeBirth(MessageType),
    /// A data metric names an alias or name its birth does not have, or carries a value that
    /// does not fit the birth's datatype (`tck-id-topics-nbirth-metric-reqs`,
    /// `tck-id-topics-dbirth-metric-reqs`).
    UnresolvedMetric,
    /// A payload could not be decoded.
    MalformedPayload(MessageType),
    /// A seq gap seen without reordering (the reorder timeout is zero).
    SeqGap {
        /// The seq the host expected.
        expected: Seq,
        /// The seq that arrived.
        received: Seq,
    },
    /// The reorder timeout expired before the missing message arrived
    /// (`tck-id-operational-behavior-host-reordering-rebirth`).
    ReorderTimeout {
        /// The seq that never arrived.
        expected: Seq,
    },
    /// More out-of-order messages arrived than the reorder buffer holds.
    ReorderBufferFull,
    /// The application asked for it
    /// ([`HostApplication::request_rebirth`](super::HostApplication::request_rebirth)).
    Requested,
}

/// The time of the last rebirth request to one edge node, to space requests out.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RebirthLimiter {
    last: Option<Timestamp>,
}

impl RebirthLimiter {
    /// Whether a request may go out at `now`; records it when it may.
    pub(super) fn try_acquire(&mut self, now: Timestamp, min_interval: Duration) -> bool {
        let allowed = self
            .last
            .is_none_or(|last| now.saturating_since(last) >= min_interval);
        if allowed {
            self.last = Some(now);
        }
        allowed
    }

    /// Records a request that goes out whatever the limit (one the application asked for).
    pub(super) fn record(&mut self, now: Timestamp) {
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    /// SPARKPLUG.md 2.3: rebirth requests are rate-limited per node.
    #[test]
    fn requests_are_spaced_by_the_minimum_interval() {
        let mut limiter = RebirthLimiter::default();
        let interval = Duration::from_millis(1000);
        assert!(limiter.try_acquire(t(10_000), interval));
        assert!(!limiter.try_acquire(t(10_999), interval));
        assert!(limiter.try_acquire(t(11_000), interval));
        limiter.record(t(20_000));
        assert!(!limiter.try_acquire(t(20_500), interval));
        // A clock that steps back never panics and never allows an early request.
        assert!(!limiter.try_acquire(t(1), interval));
    }

    #[test]
    fn a_zero_interval_never_limits() {
        let mut limiter = RebirthLimiter::default();
        assert!(limiter.try_acquire(t(5), Duration::ZERO));
        assert!(limiter.try_acquire(t(5), Duration::ZERO));
    }
}
