//! Wall-clock time for the state machines.
//!
//! The state machines never read a clock: the runners read this one and pass the reading as
//! `now`. Timers are the state machines' UTC deadlines turned into tokio instants.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::session::Timestamp;

/// The current UTC time in milliseconds since the Unix epoch, as the state machines take it.
/// A system clock set before 1970 reads as the epoch.
pub fn now() -> Timestamp {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().min(u128::from(u64::MAX)) as u64);
    Timestamp::from_millis(millis)
}

/// The tokio instant at which the wall clock reaches `deadline`, given that it reads `now`.
/// A deadline in the past is due at once.
pub(crate) fn instant_at(deadline: Timestamp, now: Timestamp) -> Instant {
    Instant::now() + deadline.saturating_since(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::time::Duration;

    #[test]
    fn now_is_after_2020_and_deadlines_map_forward() {
        let t = now();
        assert!(t.as_millis() > 1_577_836_800_000);
        let before = Instant::now();
        let at = instant_at(t.saturating_add(Duration::from_millis(500)), t);
        assert!(at >= before + Duration::from_millis(500));
        assert!(instant_at(Timestamp::from_millis(0), t) <= Instant::now());
    }
}
