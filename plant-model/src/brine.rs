//! The brine tank: temperature balance, strength, level, agitator and ice on the coils.

/// Brine density, kg/m³, and specific heat, kJ/(kg·K), for ~22 % NaCl (SG ≈ 1.15–1.17, §2).
const DENSITY: f64 = 1160.0;
const SPECIFIC_HEAT: f64 = 3.3;
/// Heat ingress through tank insulation and lid, kW/K (assumption: ~25 kW at 40 K).
const INGRESS_UA_KW_PER_K: f64 = 0.65;
/// Agitator motor power, kW; all of it ends up as heat in the brine.
pub(crate) const AGITATOR_KW: f64 = 11.0;
/// Evaporator coil UA with the agitator running, kW/K (assumption: 300 kW at 7 K).
const COIL_UA_KW_PER_K: f64 = 42.0;
/// Coil UA left without forced circulation (natural convection only; assumption).
const STILL_BRINE_UA_FRACTION: f64 = 0.35;
/// Ice on the coils grows this many mm per hour per K of coil below the brine freezing point.
const COIL_ICE_MM_PER_H_K: f64 = 0.5;

/// State of the brine tank.
#[derive(Debug, Clone)]
pub struct BrineTank {
    /// Brine temperature, °C.
    pub temperature_c: f64,
    /// NaCl strength, % by mass.
    pub salinity_pct: f64,
    /// Brine level above the water level in the cans, mm (nominal 25 mm, §2).
    pub level_mm: f64,
    /// Operator switch for the agitator.
    pub agitator_on: bool,
    /// Agitator stopped by a fault (motor trip) although switched on.
    pub agitator_fault: bool,
    /// Ice thickness frozen on the evaporator coils, mm.
    pub coil_ice_mm: f64,
    heat_capacity_kj_per_k: f64,
}

impl BrineTank {
    pub(crate) fn new(volume_m3: f64, temperature_c: f64, salinity_pct: f64) -> Self {
        Self {
            temperature_c,
            salinity_pct,
            level_mm: 25.0,
            agitator_on: true,
            agitator_fault: false,
            coil_ice_mm: 0.0,
            heat_capacity_kj_per_k: volume_m3 * DENSITY * SPECIFIC_HEAT,
        }
    }

    /// Whether the agitator is actually turning.
    pub fn agitator_running(&self) -> bool {
        self.agitator_on && !self.agitator_fault
    }

    /// Freezing point of the NaCl brine, °C. Linear fit through the eutectic (23.3 % at
    /// ≈−21 °C, §2); ~1.5 K too cold at 10–15 % (assumption, good enough to show coil freezing).
    pub fn freezing_point_c(&self) -> f64 {
        -0.9 * self.salinity_pct.clamp(0.0, 23.3)
    }

    /// Evaporator coil UA, kW/K, reduced by still brine and by ice on the coils.
    pub(crate) fn coil_ua_kw_per_k(&self) -> f64 {
        let circulation = if self.agitator_running() {
            1.0
        } else {
            STILL_BRINE_UA_FRACTION
        };
        COIL_UA_KW_PER_K * circulation / (1.0 + self.coil_ice_mm / 2.0)
    }

    pub(crate) fn agitator_kw(&self) -> f64 {
        if self.agitator_running() {
            AGITATOR_KW
        } else {
            0.0
        }
    }

    pub(crate) fn ingress_kw(&self, ambient_c: f64) -> f64 {
        INGRESS_UA_KW_PER_K * (ambient_c - self.temperature_c)
    }

    /// Integrates the heat balance `C·dT/dt = Q_cans + Q_ingress + Q_agitator − Q_refrigeration`
    /// and grows (or melts) ice on the coils when they run below the brine freezing point.
    pub(crate) fn step(
        &mut self,
        load_kw: f64,
        refrigeration_kw: f64,
        evaporating_c: f64,
        dt_s: f64,
    ) {
        self.temperature_c += (load_kw - refrigeration_kw) * dt_s / self.heat_capacity_kj_per_k;
        let coil_below_freezing_k = self.freezing_point_c() - evaporating_c;
        let growth = COIL_ICE_MM_PER_H_K * coil_below_freezing_k * dt_s / 3600.0;
        self.coil_ice_mm = (self.coil_ice_mm + growth).clamp(0.0, 20.0);
    }
}
