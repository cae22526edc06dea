//! Plant configuration: sizes and setpoints, with a typical plant as the default.

/// The fixed design of a plant and its initial setpoints.
///
/// The default is a ≈28 t/day plant (400 cans × 50 kg, 175 mm cans, brine −11 °C): freeze time
/// `175² / (165.9 × 11)` ≈ 16.8 h (ICE_PLANT.md §3), 400 × 50 kg × 24 / 16.8 ≈ 28.6 t/day,
/// load ≈ 28.6 × 153 kWh_th/t ÷ 24 ≈ 180 kW, covered by two of three 110 kW compressors.
/// Build one with struct update syntax: `PlantConfig { compressors: 4, ..Default::default() }`.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantConfig {
    /// Number of ammonia compressors (lead first, then lags).
    pub compressors: usize,
    /// Refrigeration capacity of one compressor at −18 °C evaporating / 35 °C condensing, kW.
    pub compressor_capacity_kw: f64,
    /// Rows of cans in the can grid (the crane lifts one row at a time).
    pub can_rows: usize,
    /// Cans per row.
    pub cans_per_row: usize,
    /// Mass of one ice block, kg.
    pub block_mass_kg: f64,
    /// Can thickness (smallest side), mm; drives the freeze-time equation.
    pub can_thickness_mm: f64,
    /// Brine temperature setpoint, °C.
    pub brine_setpoint_c: f64,
    /// Brine volume, m³ (≈60 ft³ per TR in the design sheets of ICE_PLANT.md §3).
    pub brine_volume_m3: f64,
    /// NaCl brine strength at start, % by mass.
    pub brine_salinity_pct: f64,
    /// Daily mean ambient temperature at the condenser, °C.
    pub ambient_mean_c: f64,
    /// Half the day/night ambient swing, K.
    pub ambient_swing_c: f64,
    /// Time of day when the simulation starts, hours.
    pub start_hour: f64,
    /// Nominal phase voltage, V (the hackathon modelled 220–230 V).
    pub nominal_voltage_v: f64,
    /// Time the crane needs to dip, tip, refill and return one row, s.
    pub crane_cycle_s: f64,
    /// Number of ammonia detectors (the first sits in the machinery room, next to the leak).
    pub ammonia_detectors: usize,
    /// Ice sold from the store per day (taken out evenly between 06:00 and 18:00), t.
    pub dispatch_t_per_day: f64,
}

impl Default for PlantConfig {
    fn default() -> Self {
        Self {
            compressors: 3,
            compressor_capacity_kw: 110.0,
            can_rows: 16,
            cans_per_row: 25,
            block_mass_kg: 50.0,
            can_thickness_mm: 175.0,
            brine_setpoint_c: -11.0,
            brine_volume_m3: 90.0,
            brine_salinity_pct: 22.0,
            ambient_mean_c: 28.0,
            ambient_swing_c: 4.0,
            start_hour: 0.0,
            nominal_voltage_v: 230.0,
            crane_cycle_s: 600.0,
            ammonia_detectors: 2,
            dispatch_t_per_day: 25.0,
        }
    }
}

impl PlantConfig {
    /// Total number of cans in the grid.
    pub fn cans(&self) -> usize {
        self.can_rows * self.cans_per_row
    }
}
