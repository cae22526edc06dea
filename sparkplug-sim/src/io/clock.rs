//! The wall clock mapped onto the simulated one.

use std::time::Duration;

use sparkplug_b::session::Timestamp;
use tokio::time::Instant;

/// How fast simulated time runs.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Speed {
    /// One simulated second per second.
    RealTime,
    /// This many simulated seconds per second (> 0).
    FastForward(f64),
}

impl Speed {
    fn factor(self) -> f64 {
        match self {
            Speed::RealTime => 1.0,
            Speed::FastForward(f) if f.is_finite() && f > 0.0 => f,
            Speed::FastForward(_) => 1.0,
        }
    }
}

/// Simulated time = start + (wall time since the run began) × speed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SimClock {
    start: Timestamp,
    began: Instant,
    factor: f64,
}

impl SimClock {
    pub(crate) fn new(start: Timestamp, speed: Speed) -> Self {
        SimClock {
            start,
            began: Instant::now(),
            factor: speed.factor(),
        }
    }

    /// The simulated time now.
    pub(crate) fn now(&self) -> Timestamp {
        let ms = self.began.elapsed().as_secs_f64() * 1000.0 * self.factor;
        Timestamp::from_millis(self.start.as_millis() + ms as u64)
    }

    /// The wall-clock instant at which simulated time reaches `t`.
    pub(crate) fn instant_of(&self, t: Timestamp) -> Instant {
        let sim_ms = t.as_millis().saturating_sub(self.start.as_millis()) as f64;
        self.began + Duration::from_secs_f64(sim_ms / self.factor / 1000.0)
    }

    /// Wall time between two simulated times.
    pub(crate) fn wall_between(&self, earlier: Timestamp, later: Timestamp) -> Duration {
        Duration::from_secs_f64(later.saturating_since(earlier).as_secs_f64() / self.factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn fast_forward_maps_both_ways() {
        let c = SimClock::new(Timestamp::from_millis(1000), Speed::FastForward(60.0));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(c.now().as_millis(), 61_000);
        let at = c.instant_of(Timestamp::from_millis(121_000));
        assert_eq!(at - c.began, Duration::from_secs(2));
        assert_eq!(
            c.wall_between(Timestamp::from_millis(0), Timestamp::from_millis(6000)),
            Duration::from_millis(100)
        );
        assert_eq!(Speed::FastForward(-1.0).factor(), 1.0);
    }
}
