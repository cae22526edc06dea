//! Ambient (condenser inlet) temperature over the day.

use crate::rng::Rng;
use std::f64::consts::PI;

/// A daily sine (coldest near 03:00, warmest near 15:00) plus a slow random walk.
#[derive(Debug, Clone)]
pub(crate) struct Ambient {
    mean_c: f64,
    swing_c: f64,
    /// Weather noise, mean-reverting so the day stays near its design profile.
    drift_c: f64,
    pub(crate) temperature_c: f64,
}

impl Ambient {
    pub(crate) fn new(mean_c: f64, swing_c: f64, hour: f64) -> Self {
        let mut a = Self {
            mean_c,
            swing_c,
            drift_c: 0.0,
            temperature_c: mean_c,
        };
        a.temperature_c = a.profile(hour);
        a
    }

    fn profile(&self, hour: f64) -> f64 {
        self.mean_c + self.swing_c * (2.0 * PI * (hour - 9.0) / 24.0).sin()
    }

    pub(crate) fn step(&mut self, hour: f64, dt_s: f64, rng: &mut Rng) {
        // Ornstein-Uhlenbeck: 1 h reversion, ~0.5 K spread.
        self.drift_c += -self.drift_c * dt_s / 3600.0 + 0.02 * dt_s.sqrt() * rng.symmetric();
        self.temperature_c = self.profile(hour) + self.drift_c;
    }
}
