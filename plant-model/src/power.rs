//! The plant power meter: supply voltage, power factor, kW and kWh.

use crate::rng::Rng;

/// Constant auxiliaries: condenser fans and pumps, lighting, controls, kW (assumption).
pub(crate) const AUXILIARY_KW: f64 = 10.0;
/// Crane hoist and travel while moving a row, kW (assumption).
pub(crate) const CRANE_KW: f64 = 7.5;

/// Meter readings.
#[derive(Debug, Clone)]
pub struct PowerMeter {
    /// Phase voltage, V.
    pub voltage_v: f64,
    /// Power factor.
    pub power_factor: f64,
    /// Active power, kW.
    pub kw: f64,
    /// Energy since start, kWh.
    pub kwh: f64,
    nominal_v: f64,
    /// Active dip: (depth as a fraction, plant time it ends, s).
    dip: Option<(f64, f64)>,
}

impl PowerMeter {
    pub(crate) fn new(nominal_v: f64) -> Self {
        Self {
            voltage_v: nominal_v,
            power_factor: 0.85,
            kw: 0.0,
            kwh: 0.0,
            nominal_v,
            dip: None,
        }
    }

    /// Nominal phase voltage, V.
    pub fn nominal_v(&self) -> f64 {
        self.nominal_v
    }

    pub(crate) fn dip(&mut self, depth: f64, until_s: f64) {
        self.dip = Some((depth.clamp(0.0, 1.0), until_s));
    }

    /// Supply voltage for this step: nominal ± 1 V noise, minus any active dip.
    pub(crate) fn supply(&mut self, now_s: f64, rng: &mut Rng) -> f64 {
        if self.dip.is_some_and(|(_, until)| now_s >= until) {
            self.dip = None;
        }
        let depth = self.dip.map_or(0.0, |(d, _)| d);
        self.voltage_v = self.nominal_v * (1.0 - depth) + rng.symmetric();
        self.voltage_v
    }

    /// Induction motors run at a lower power factor when lightly loaded (assumption:
    /// 0.70 idle → 0.86 at rated load).
    pub(crate) fn power_factor_at(load_fraction: f64) -> f64 {
        0.70 + 0.16 * load_fraction.clamp(0.0, 1.0)
    }

    pub(crate) fn record(&mut self, kw: f64, power_factor: f64, dt_s: f64) {
        self.kw = kw;
        self.power_factor = power_factor;
        self.kwh += kw * dt_s / 3600.0;
    }
}
