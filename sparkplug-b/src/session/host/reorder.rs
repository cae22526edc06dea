//! Seq tracking per edge node and the reorder buffer (SPARKPLUG.md 2.4).
//!
//! One expected seq per edge node covers NBIRTH, DBIRTH, NDATA, DDATA and DDEATH of the node
//! and all its devices, modulo 256. A seq up to 127 steps ahead of the expected one is *ahead*
//! (something is missing); one further away is *behind* (late or repeated).
//!
//! ```text
//!                  accept(expected)                    accept(ahead), timeout > 0
//!   ┌──────────┐ ──────────────────► deliver ┌──────────┐ ───────────────► hold, start timer
//!   │ InOrder  │                             │ Holding  │ ◄── accept(ahead): hold
//!   │(no timer)│ ◄───────────────────────────│ (timer)  │
//!   └──────────┘  the gap fills: deliver the └──────────┘
//!        ▲        held in seq order, cancel       │ expire / buffer full:
//!        │        the timer                       │ deliver all held, out of sequence,
//!        └────────────────────────────────────────┘ ask for a rebirth
//! ```
//!
//! With a zero timeout nothing is held: an ahead seq is a gap, delivered at once out of
//! sequence, and the tracker resynchronises after it. A behind seq is always delivered at once,
//! out of sequence, without moving the expected seq.

use core::time::Duration;

use super::rebirth::RebirthReason;
use crate::session::{Seq, Timestamp};

/// Seqs at most this many steps ahead of the expected one count as ahead, the rest as behind.
const AHEAD_WINDOW: u8 = 128;

/// A message handed back for processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Delivered<T> {
    /// Its seq, when it had a usable one.
    pub(super) seq: Option<Seq>,
    /// The message.
    pub(super) item: T,
    /// Whether it is delivered out of sequence (after a gap was given up, or late).
    pub(super) out_of_sequence: bool,
}

/// What one step of the tracker asks of its caller, in this order: report the gap, process the
/// deliveries, request the rebirth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Outcome<T> {
    /// A new discontinuity: `(expected, received)`.
    pub(super) gap: Option<(Seq, Seq)>,
    /// Messages to process now, in this order.
    pub(super) deliver: Vec<Delivered<T>>,
    /// A rebirth to request.
    pub(super) rebirth: Option<RebirthReason>,
}

impl<T> Default for Outcome<T> {
    fn default() -> Self {
        Outcome {
            gap: None,
            deliver: Vec::new(),
            rebirth: None,
        }
    }
}

/// The seq stream of one edge node.
#[derive(Debug, Clone)]
pub(super) struct SeqTracker<T> {
    /// The next seq to deliver; `None` before a birth gave one (the next seq is then accepted
    /// as it is).
    expected: Option<Seq>,
    /// The seq after the furthest one seen (held or delivered): a seq beyond it opens a new gap.
    frontier: Seq,
    /// Messages ahead of `expected`, waiting for the gap before them to fill.
    held: Vec<(Seq, T)>,
    /// When the host gives up waiting for `expected`.
    deadline: Option<Timestamp>,
}

impl<T> Default for SeqTracker<T> {
    fn default() -> Self {
        SeqTracker {
            expected: None,
            frontier: Seq::ZERO,
            held: Vec::new(),
            deadline: None,
        }
    }
}

impl<T> SeqTracker<T> {
    /// The next seq to deliver.
    pub(super) fn expected(&self) -> Option<Seq> {
        self.expected
    }

    /// When the reorder timer fires, if it runs.
    pub(super) fn deadline(&self) -> Option<Timestamp> {
        self.deadline
    }

    /// How many messages are held.
    pub(super) fn held(&self) -> usize {
        self.held.len()
    }

    /// Starts over at a birth: the seq after `birth` is expected next (after an NDEATH, `None`:
    /// nothing is expected). Call [`SeqTracker::flush`] first so nothing held is lost.
    pub(super) fn resync(&mut self, birth: Option<Seq>) {
        self.expected = birth.map(Seq::next);
        self.frontier = self.expected.unwrap_or(Seq::ZERO);
        self.held.clear();
        self.deadline = None;
    }

    /// Hands back everything held, in seq order and out of sequence, cancels the timer and
    /// expects the seq after the last one.
    pub(super) fn flush(&mut self) -> Vec<Delivered<T>> {
        self.deadline = None;
        let Some(expected) = self.expected else {
            // Nothing is held without an expected seq; drain defensively all the same.
            return self
                .held
                .drain(..)
                .map(|(seq, item)| Delivered {
                    seq: Some(seq),
                    item,
                    out_of_sequence: true,
                })
                .collect();
        };
        self.held.sort_by_key(|(seq, _)| expected.distance_to(*seq));
        let out: Vec<_> = self
            .held
            .drain(..)
            .map(|(seq, item)| Delivered {
                seq: Some(seq),
                item,
                out_of_sequence: true,
            })
            .collect();
        if let Some(last) = out.last().and_then(|d| d.seq) {
            self.expected = Some(last.next());
        }
        self.frontier = self.expected.unwrap_or(Seq::ZERO);
        out
    }

    /// Takes a message with seq `seq` received at `now`.
    pub(super) fn accept(
        &mut self,
        now: Timestamp,
        seq: Seq,
        item: T,
        timeout: Duration,
        capacity: usize,
    ) -> Outcome<T> {
        let mut outcome = Outcome::default();
        let expected = self.expected.unwrap_or(seq);
        let ahead = expected.distance_to(seq);
        if ahead == 0 {
            outcome.deliver.push(in_order(seq, item));
            self.advance_into(seq, &mut outcome.deliver);
            return outcome;
        }
        if ahead >= AHEAD_WINDOW {
            // Behind: a late or repeated message. Nothing received is dropped.
            outcome.gap = Some((expected, seq));
            outcome.deliver.push(out_of_sequence(seq, item));
            return outcome;
        }
        if ahead > expected.distance_to(self.frontier) {
            outcome.gap = Some((self.frontier, seq));
        }
        if timeout.is_zero() {
            outcome.deliver.push(out_of_sequence(seq, item));
            outcome.rebirth = Some(RebirthReason::SeqGap {
                expected,
                received: seq,
            });
            self.expected = Some(seq.next());
            self.frontier = seq.next();
            return outcome;
        }
        if self.held.iter().any(|(s, _)| *s == seq) {
            // The same seq twice while waiting: keep the first, deliver this one as it is.
            outcome.deliver.push(out_of_sequence(seq, item));
            return outcome;
        }
        self.held.push((seq, item));
        if ahead >= expected.distance_to(self.frontier) {
            self.frontier = seq.next();
        }
        if self.deadline.is_none() {
            self.deadline = Some(now.saturating_add(timeout));
        }
        if self.held.len() > capacity {
            outcome.deliver.extend(self.flush());
            outcome.rebirth = Some(RebirthReason::ReorderBufferFull);
        }
        outcome
    }

    /// Whether a message with seq `seq` is the one to deliver next: [`SeqTracker::accept`] would
    /// hand it back at once, in order.
    #[inline]
    pub(super) fn is_next(&self, seq: Seq) -> bool {
        self.expected.is_none_or(|expected| expected == seq)
    }

    /// The message with seq `seq`, the next one ([`SeqTracker::is_next`]), was processed by the
    /// caller without going through [`SeqTracker::accept`]: the tracker moves past it and hands
    /// back, in order, the held messages that now follow (what `accept` would have delivered
    /// after it).
    pub(super) fn advance(&mut self, seq: Seq) -> Vec<Delivered<T>> {
        let mut deliver = Vec::new();
        self.advance_into(seq, &mut deliver);
        deliver
    }

    /// Moves past the in-order `seq`, appending the held messages that follow it to `deliver`.
    fn advance_into(&mut self, seq: Seq, deliver: &mut Vec<Delivered<T>>) {
        let expected = self.expected.unwrap_or(seq);
        let mut next = seq.next();
        while let Some(i) = self.held.iter().position(|(s, _)| *s == next) {
            let (s, item) = self.held.swap_remove(i);
            deliver.push(in_order(s, item));
            next = next.next();
        }
        self.expected = Some(next);
        if self.held.is_empty() {
            // The gap is filled (or there was none): cancel the timer.
            self.deadline = None;
            self.frontier = next;
        } else if expected.distance_to(self.frontier) < expected.distance_to(next) {
            self.frontier = next;
        }
    }

    /// Fires the reorder timer if it is due at `now`: everything held is delivered out of
    /// sequence and a rebirth is asked for. `None` when the timer is not due.
    pub(super) fn expire(&mut self, now: Timestamp) -> Option<Outcome<T>> {
        let due = self.deadline.is_some_and(|deadline| deadline <= now);
        if !due {
            return None;
        }
        let expected = self.expected.unwrap_or(Seq::ZERO);
        Some(Outcome {
            gap: None,
            deliver: self.flush(),
            rebirth: Some(RebirthReason::ReorderTimeout { expected }),
        })
    }
}

fn in_order<T>(seq: Seq, item: T) -> Delivered<T> {
    Delivered {
        seq: Some(seq),
        item,
        out_of_sequence: false,
    }
}

fn out_of_sequence<T>(seq: Seq, item: T) -> Delivered<T> {
    Delivered {
        seq: Some(seq),
        item,
        out_of_sequence: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_millis(2000);

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn s(v: u8) -> Seq {
        Seq::new(v)
    }

    fn tracker_at(birth: u8) -> SeqTracker<u8> {
        let mut tracker = SeqTracker::default();
        tracker.resync(Some(s(birth)));
        tracker
    }

    fn delivered(outcome: &Outcome<u8>) -> Vec<(u8, bool)> {
        outcome
            .deliver
            .iter()
            .map(|d| (d.item, d.out_of_sequence))
            .collect()
    }

    #[test]
    fn in_order_messages_pass_through_and_wrap() {
        let mut tracker = tracker_at(254);
        for (i, seq) in [255u8, 0, 1].into_iter().enumerate() {
            let outcome = tracker.accept(t(i as u64), s(seq), seq, TIMEOUT, 8);
            assert_eq!(delivered(&outcome), [(seq, false)]);
            assert_eq!((outcome.gap, outcome.rebirth), (None, None));
        }
        assert_eq!(tracker.expected(), Some(s(2)));
        assert_eq!(tracker.deadline(), None);
    }

    /// tck-id-operational-behavior-host-reordering-start and
    /// tck-id-operational-behavior-host-reordering-success: an out-of-order seq starts the
    /// timer; when the missing one arrives, all is delivered in order and the timer is cancelled.
    #[test]
    fn a_filled_gap_delivers_in_order_and_cancels_the_timer() {
        let mut tracker = tracker_at(0);
        let outcome = tracker.accept(t(100), s(2), 2, TIMEOUT, 8);
        assert_eq!(outcome.gap, Some((s(1), s(2))));
        assert!(outcome.deliver.is_empty());
        assert_eq!(tracker.deadline(), Some(t(2100)));
        let outcome = tracker.accept(t(200), s(3), 3, TIMEOUT, 8);
        assert_eq!(outcome.gap, None, "3 continues the held run");
        let outcome = tracker.accept(t(300), s(1), 1, TIMEOUT, 8);
        assert_eq!(delivered(&outcome), [(1, false), (2, false), (3, false)]);
        assert_eq!(outcome.rebirth, None);
        assert_eq!(tracker.deadline(), None);
        assert_eq!(tracker.expected(), Some(s(4)));
        assert_eq!(tracker.expire(t(10_000)), None);
    }

    /// tck-id-operational-behavior-host-reordering-rebirth: the timer expires with the gap open.
    #[test]
    fn expiry_delivers_everything_held_and_asks_for_a_rebirth() {
        let mut tracker = tracker_at(10);
        tracker.accept(t(0), s(14), 14, TIMEOUT, 8);
        tracker.accept(t(1), s(12), 12, TIMEOUT, 8);
        assert_eq!(tracker.expire(t(1999)), None);
        let outcome = tracker.expire(t(2000)).unwrap();
        assert_eq!(delivered(&outcome), [(12, true), (14, true)]);
        assert_eq!(
            outcome.rebirth,
            Some(RebirthReason::ReorderTimeout { expected: s(11) })
        );
        assert_eq!(tracker.expected(), Some(s(15)));
        assert_eq!(tracker.deadline(), None);
        // The missing one arrives late: delivered, out of sequence, nothing moves.
        let outcome = tracker.accept(t(3000), s(11), 11, TIMEOUT, 8);
        assert_eq!(delivered(&outcome), [(11, true)]);
        assert_eq!(outcome.gap, Some((s(15), s(11))));
        assert_eq!(tracker.expected(), Some(s(15)));
    }

    #[test]
    fn a_partly_filled_gap_keeps_the_timer() {
        let mut tracker = tracker_at(0);
        tracker.accept(t(0), s(2), 2, TIMEOUT, 8);
        let outcome = tracker.accept(t(10), s(5), 5, TIMEOUT, 8);
        assert_eq!(
            outcome.gap,
            Some((s(3), s(5))),
            "a second gap, after the held 2"
        );
        let outcome = tracker.accept(t(20), s(1), 1, TIMEOUT, 8);
        assert_eq!(delivered(&outcome), [(1, false), (2, false)]);
        assert_eq!(tracker.deadline(), Some(t(2000)), "5 is still waiting");
        assert_eq!(tracker.held(), 1);
    }

    /// `advance` is `accept` of the next seq, for a caller that processed the message itself.
    #[test]
    fn advancing_past_the_next_seq_matches_accepting_it() {
        let mut accepted = tracker_at(0);
        let mut advanced = tracker_at(0);
        for tracker in [&mut accepted, &mut advanced] {
            tracker.accept(t(0), s(2), 2, TIMEOUT, 8);
            tracker.accept(t(0), s(3), 3, TIMEOUT, 8);
            tracker.accept(t(0), s(6), 6, TIMEOUT, 8);
        }
        assert!(advanced.is_next(s(1)) && !advanced.is_next(s(2)));
        let outcome = accepted.accept(t(1), s(1), 1, TIMEOUT, 8);
        let rest = advanced.advance(s(1));
        assert_eq!(delivered(&outcome)[1..], [(2, false), (3, false)]);
        let rest: Vec<_> = rest.iter().map(|d| (d.item, d.out_of_sequence)).collect();
        assert_eq!(rest, [(2, false), (3, false)]);
        for tracker in [&accepted, &advanced] {
            assert_eq!(tracker.expected(), Some(s(4)));
            assert_eq!((tracker.held(), tracker.deadline()), (1, Some(t(2000))));
        }
        // Unsynchronised: any seq is next.
        let mut fresh = SeqTracker::<u8>::default();
        assert!(fresh.is_next(s(9)));
        assert!(fresh.advance(s(9)).is_empty());
        assert_eq!(fresh.expected(), Some(s(10)));
    }

    #[test]
    fn zero_timeout_reports_and_resynchronises() {
        let mut tracker = tracker_at(0);
        let outcome = tracker.accept(t(0), s(3), 3, Duration::ZERO, 8);
        assert_eq!(delivered(&outcome), [(3, true)]);
        assert_eq!(outcome.gap, Some((s(1), s(3))));
        assert_eq!(
            outcome.rebirth,
            Some(RebirthReason::SeqGap {
                expected: s(1),
                received: s(3)
            })
        );
        assert_eq!(tracker.deadline(), None);
        let outcome = tracker.accept(t(1), s(4), 4, Duration::ZERO, 8);
        assert_eq!(delivered(&outcome), [(4, false)]);
    }

    #[test]
    fn the_buffer_is_bounded() {
        let mut tracker = tracker_at(0);
        tracker.accept(t(0), s(3), 3, TIMEOUT, 2);
        tracker.accept(t(0), s(2), 2, TIMEOUT, 2);
        let outcome = tracker.accept(t(0), s(5), 5, TIMEOUT, 2);
        assert_eq!(delivered(&outcome), [(2, true), (3, true), (5, true)]);
        assert_eq!(outcome.rebirth, Some(RebirthReason::ReorderBufferFull));
        assert_eq!((tracker.held(), tracker.deadline()), (0, None));
        assert_eq!(tracker.expected(), Some(s(6)));
    }

    #[test]
    fn duplicates_and_unsynchronised_streams() {
        let mut tracker = SeqTracker::default();
        // No birth seq: the first seq is taken as it is.
        let outcome = tracker.accept(t(0), s(42), 42, TIMEOUT, 8);
        assert_eq!(delivered(&outcome), [(42, false)]);
        tracker.accept(t(0), s(45), 45, TIMEOUT, 8);
        let outcome = tracker.accept(t(0), s(45), 145, TIMEOUT, 8);
        assert_eq!(delivered(&outcome), [(145, true)]);
        assert_eq!(tracker.held(), 1);
        let flushed = tracker.flush();
        assert_eq!(flushed.len(), 1);
        assert_eq!(tracker.expected(), Some(s(46)));
        tracker.resync(None);
        assert_eq!(tracker.expected(), None);
    }
}
