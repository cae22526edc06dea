//! The evaporative condenser: condensing temperature against ambient and fouling.

use crate::refrigerant::saturation_pressure_bar;

/// Clean condenser UA, kW/K (assumption: rejects ~270 kW at 6 K approach).
const CLEAN_UA_KW_PER_K: f64 = 45.0;
/// UA lost at fouling 1.0 (scaled tubes, blocked nozzles; assumption).
const FOULING_UA_LOSS: f64 = 0.85;
/// Time constant of the condensing temperature (water sump and coil mass; assumption).
const TIME_CONSTANT_S: f64 = 180.0;

/// State of the condenser.
#[derive(Debug, Clone)]
pub struct Condenser {
    /// Condensing temperature, °C.
    pub condensing_c: f64,
    /// Fouling, 0 = clean … 1 = badly fouled.
    pub fouling: f64,
    /// Heat rejected, kW.
    pub rejected_kw: f64,
}

impl Condenser {
    pub(crate) fn new(ambient_c: f64) -> Self {
        Self {
            condensing_c: ambient_c + 5.0,
            fouling: 0.0,
            rejected_kw: 0.0,
        }
    }

    /// Condensing pressure, bar(a).
    pub fn pressure_bar(&self) -> f64 {
        saturation_pressure_bar(self.condensing_c)
    }

    /// `T_cond → T_ambient + Q_rejected / UA(fouling)` with a first-order lag.
    pub(crate) fn step(&mut self, ambient_c: f64, rejected_kw: f64, dt_s: f64) {
        self.rejected_kw = rejected_kw;
        let ua = CLEAN_UA_KW_PER_K * (1.0 - FOULING_UA_LOSS * self.fouling.clamp(0.0, 1.0));
        let target = ambient_c + rejected_kw / ua;
        self.condensing_c += (target - self.condensing_c) * (dt_s / TIME_CONSTANT_S).min(1.0);
    }
}
