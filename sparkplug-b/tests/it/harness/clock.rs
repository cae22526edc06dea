//! The simulated clock.

use sparkplug_b::session::Timestamp;

/// Where every simulation starts: 2023-11-14T22:13:20Z, a plausible UTC "now" in milliseconds,
/// so payload timestamps look like real ones.
pub(crate) const START: Timestamp = Timestamp::from_millis(1_700_000_000_000);

/// Simulated UTC time. It only moves when a test moves it, and never backwards, so timer
/// behaviour is reproducible to the millisecond and no test ever sleeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clock {
    now: Timestamp,
}

impl Clock {
    /// A clock showing `now`.
    pub(crate) const fn starting_at(now: Timestamp) -> Self {
        Clock { now }
    }

    /// The current simulated time.
    pub(crate) const fn now(&self) -> Timestamp {
        self.now
    }

    /// Moves the clock forward to `to`; a `to` in the past leaves it where it is (time is
    /// monotonic: a timer that was due earlier fires "now").
    pub(crate) fn advance_to(&mut self, to: Timestamp) {
        self.now = self.now.max(to);
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::starting_at(START)
    }
}
