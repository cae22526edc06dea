//! Ammonia detectors: concentration from leak source against ventilation.

use crate::rng::Rng;

/// Air changes per hour: background, normal ventilation (started at 25 ppm) and emergency
/// ventilation (started at 150 ppm), per the detection codes in ICE_PLANT.md §2 (rates assumed).
const BACKGROUND_ACH: f64 = 2.0;
const NORMAL_VENT_ACH: f64 = 10.0;
const EMERGENCY_VENT_ACH: f64 = 30.0;
/// Share of the machinery-room leak that reaches detectors further away (assumption).
const REMOTE_SHARE: f64 = 0.3;

/// One detector.
#[derive(Debug, Clone)]
pub struct AmmoniaDetector {
    /// Concentration, ppm (sensor range 0–250 ppm).
    pub ppm: f64,
}

/// The leak source and the detectors it reaches.
#[derive(Debug, Clone)]
pub(crate) struct AmmoniaRoom {
    pub(crate) detectors: Vec<AmmoniaDetector>,
    /// Leak source growth, ppm/s per s (`None` = no leak).
    ramp: Option<f64>,
    source_ppm_per_s: f64,
}

impl AmmoniaRoom {
    pub(crate) fn new(count: usize) -> Self {
        Self {
            detectors: vec![AmmoniaDetector { ppm: 0.0 }; count],
            ramp: None,
            source_ppm_per_s: 0.0,
        }
    }

    pub(crate) fn start_leak(&mut self, ramp_ppm_per_s2: f64) {
        self.ramp = Some(ramp_ppm_per_s2.max(0.0));
    }

    pub(crate) fn stop_leak(&mut self) {
        self.ramp = None;
        self.source_ppm_per_s = 0.0;
    }

    /// Ventilation follows the machinery-room detector (the first).
    fn air_changes_per_hour(&self) -> f64 {
        match self.detectors.first().map_or(0.0, |d| d.ppm) {
            p if p >= 150.0 => EMERGENCY_VENT_ACH,
            p if p >= 25.0 => NORMAL_VENT_ACH,
            _ => BACKGROUND_ACH,
        }
    }

    /// `dC/dt = source − C·ACH/3600`, plus ±0.3 ppm sensor noise floor.
    pub(crate) fn step(&mut self, dt_s: f64, rng: &mut Rng) {
        if let Some(ramp) = self.ramp {
            self.source_ppm_per_s = (self.source_ppm_per_s + ramp * dt_s).min(5.0);
        }
        let removal = self.air_changes_per_hour() / 3600.0;
        for (i, d) in self.detectors.iter_mut().enumerate() {
            let share = if i == 0 { 1.0 } else { REMOTE_SHARE };
            let clean = d.ppm.max(0.0);
            let next = clean + (share * self.source_ppm_per_s - clean * removal) * dt_s;
            d.ppm = (next + 0.05 * rng.symmetric()).clamp(0.0, 250.0);
        }
    }
}
