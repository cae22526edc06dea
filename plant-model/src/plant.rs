//! The plant: owns the equipment and advances the coupled physics one step at a time.

use crate::alarms::{Alarm, AlarmBook, AlarmEvent};
use crate::ambient::Ambient;
use crate::ammonia::{AmmoniaDetector, AmmoniaRoom};
use crate::brine::BrineTank;
use crate::cans::CanGrid;
use crate::compressor::Compressor;
use crate::condenser::Condenser;
use crate::config::PlantConfig;
use crate::limits;
use crate::power::{AUXILIARY_KW, CRANE_KW, PowerMeter};
use crate::rng::Rng;
use crate::staging::Staging;
use crate::store::IceStore;
use std::time::Duration;

/// Longest internal integration step, s; larger `step` calls are split (explicit Euler stays
/// accurate: the fastest time constant is the 120 s discharge-temperature lag).
const MAX_SUBSTEP_S: f64 = 5.0;
/// Capacity change per K of evaporating temperature (≈4 %/K for NH3 screws; assumption).
const CAPACITY_PER_K_EVAPORATING: f64 = 0.04;
/// Capacity change per K of condensing temperature (assumption).
const CAPACITY_PER_K_CONDENSING: f64 = 0.012;
/// Rating conditions of `compressor_capacity_kw`.
const RATED_EVAPORATING_C: f64 = -18.0;
const RATED_CONDENSING_C: f64 = 35.0;
/// Motors drop out below this fraction of nominal voltage (contactor drop-out; assumption).
const DROP_OUT_VOLTAGE: f64 = 0.85;

/// Energy totals behind the KPIs.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Totals {
    pub(crate) refrigeration_kwh: f64,
    pub(crate) compressor_kwh: f64,
}

/// A block-ice plant. See the crate docs for an example.
#[derive(Debug, Clone)]
pub struct Plant {
    pub(crate) config: PlantConfig,
    pub(crate) time_s: f64,
    rng: Rng,
    pub(crate) ambient: Ambient,
    pub(crate) compressors: Vec<Compressor>,
    staging: Staging,
    pub(crate) evaporating_c: f64,
    pub(crate) condenser: Condenser,
    pub(crate) brine: BrineTank,
    pub(crate) cans: CanGrid,
    pub(crate) store: IceStore,
    pub(crate) ammonia: AmmoniaRoom,
    pub(crate) power: PowerMeter,
    pub(crate) alarms: AlarmBook,
    pub(crate) totals: Totals,
}

impl Plant {
    /// Builds a plant at its setpoint with staggered can rows; `seed` drives all noise.
    pub fn new(config: PlantConfig, seed: u64) -> Self {
        let ambient = Ambient::new(
            config.ambient_mean_c,
            config.ambient_swing_c,
            config.start_hour,
        );
        let mut plant = Self {
            rng: Rng::new(seed),
            compressors: (0..config.compressors).map(|_| Compressor::new()).collect(),
            staging: Staging::new(),
            evaporating_c: config.brine_setpoint_c,
            condenser: Condenser::new(ambient.temperature_c),
            brine: BrineTank::new(
                config.brine_volume_m3,
                config.brine_setpoint_c,
                config.brine_salinity_pct,
            ),
            cans: CanGrid::new(
                config.can_rows,
                config.cans_per_row,
                config.block_mass_kg,
                config.can_thickness_mm,
                config.crane_cycle_s,
            ),
            store: IceStore::new(),
            ammonia: AmmoniaRoom::new(config.ammonia_detectors),
            power: PowerMeter::new(config.nominal_voltage_v),
            alarms: AlarmBook::default(),
            totals: Totals::default(),
            ambient,
            time_s: 0.0,
            config,
        };
        plant.evaluate_alarms();
        plant
    }

    /// Advances plant time by `dt` (split internally into steps of at most 5 s).
    pub fn step(&mut self, dt: Duration) {
        let total = dt.as_secs_f64();
        if total <= 0.0 {
            return;
        }
        let n = (total / MAX_SUBSTEP_S).ceil().max(1.0);
        let h = total / n;
        for _ in 0..n as u64 {
            self.substep(h);
        }
    }

    /// Hour of day, 0–24.
    pub fn hour_of_day(&self) -> f64 {
        (self.config.start_hour + self.time_s / 3600.0).rem_euclid(24.0)
    }

    fn substep(&mut self, dt: f64) {
        let now = self.time_s;
        let hour = self.hour_of_day();
        self.ambient.step(hour, dt, &mut self.rng);
        let ambient_c = self.ambient.temperature_c;
        let voltage = self.power.supply(now, &mut self.rng);
        if voltage < DROP_OUT_VOLTAGE * self.power.nominal_v() {
            self.compressors.iter_mut().for_each(Compressor::stop);
        }
        self.staging.control(
            &mut self.compressors,
            self.brine.temperature_c,
            self.config.brine_setpoint_c,
            now,
            dt,
        );

        let (evaporating_c, refrigeration_kw, swept) = self.evaporator_balance();
        self.evaporating_c = evaporating_c;
        let running: Vec<f64> = self
            .compressors
            .iter()
            .filter(|c| c.is_running())
            .map(|c| c.capacity)
            .collect();
        let load_fraction = running.iter().sum::<f64>() / running.len().max(1) as f64;
        let pf = PowerMeter::power_factor_at(load_fraction);
        let condensing_c = self.condenser.condensing_c;
        for c in &mut self.compressors {
            let share = if swept > 0.0 && c.is_running() {
                c.capacity / swept
            } else {
                0.0
            };
            c.operate(
                refrigeration_kw * share,
                evaporating_c,
                condensing_c,
                ambient_c,
                voltage,
                pf,
                dt,
            );
        }
        let compressor_kw: f64 = self.compressors.iter().map(|c| c.motor_kw).sum();

        let agitated = self.brine.agitator_running();
        let (can_kw, harvested_t) = self.cans.step(self.brine.temperature_c, agitated, now, dt);
        let load_kw = can_kw + self.brine.ingress_kw(ambient_c) + self.brine.agitator_kw();
        self.brine
            .step(load_kw, refrigeration_kw, evaporating_c, dt);
        self.condenser
            .step(ambient_c, refrigeration_kw + compressor_kw, dt);
        let dispatch_t_per_h = self.config.dispatch_t_per_day / 12.0;
        self.store.step(
            harvested_t,
            dispatch_t_per_h,
            hour,
            ambient_c,
            dt,
            &mut self.rng,
        );
        self.ammonia.step(dt, &mut self.rng);

        let crane_kw = if self.cans.crane_busy() {
            CRANE_KW
        } else {
            0.0
        };
        let plant_kw = compressor_kw + self.brine.agitator_kw() + AUXILIARY_KW + crane_kw;
        self.power.record(plant_kw, pf, dt);
        self.totals.refrigeration_kwh += refrigeration_kw * dt / 3600.0;
        self.totals.compressor_kwh += compressor_kw * dt / 3600.0;
        self.time_s += dt;
        self.evaluate_alarms();
    }

    /// Solves compressor capacity against coil heat transfer for the evaporating temperature.
    ///
    /// Compressors: `Q = C·(1 + k·(T_e − T_e,rated))`, C = Σ slide · rated · condensing factor.
    /// Coil: `Q = UA·(T_brine − T_e)`. Both linear in T_e, so the balance is closed-form.
    /// Returns (T_e °C, Q kW, Σ slide of running machines).
    fn evaporator_balance(&self) -> (f64, f64, f64) {
        let swept: f64 = self
            .compressors
            .iter()
            .filter(|c| c.is_running())
            .map(|c| c.capacity)
            .sum();
        let brine_c = self.brine.temperature_c;
        if swept <= 0.0 {
            // Idle: the evaporator settles to the brine temperature.
            return (brine_c, 0.0, 0.0);
        }
        let condensing_factor = (1.0
            - CAPACITY_PER_K_CONDENSING * (self.condenser.condensing_c - RATED_CONDENSING_C))
            .max(0.3);
        let c = swept * self.config.compressor_capacity_kw * condensing_factor;
        let k = CAPACITY_PER_K_EVAPORATING;
        let ua = self.brine.coil_ua_kw_per_k();
        let te = ((ua * brine_c - c + c * k * RATED_EVAPORATING_C) / (c * k + ua)).max(-40.0);
        (te, (ua * (brine_c - te)).max(0.0), swept)
    }

    fn evaluate_alarms(&mut self) {
        let book = &mut self.alarms;
        book.begin(self.time_s);
        let sp = self.config.brine_setpoint_c;
        let brine = &self.brine;
        book.above(
            || "BrineTank/HighTemperature".into(),
            brine.temperature_c,
            sp + limits::BRINE_HIGH_ABOVE_SETPOINT_K.raise,
            sp + limits::BRINE_HIGH_ABOVE_SETPOINT_K.clear,
        );
        book.below(
            || "BrineTank/LowStrength".into(),
            brine.salinity_pct,
            limits::BRINE_LOW_STRENGTH_PCT.raise,
            limits::BRINE_LOW_STRENGTH_PCT.clear,
        );
        book.flag(
            || "BrineTank/AgitatorStopped".into(),
            !brine.agitator_running(),
        );
        book.above(
            || "BrineTank/CoilIce".into(),
            brine.coil_ice_mm,
            limits::COIL_ICE_MM.raise,
            limits::COIL_ICE_MM.clear,
        );
        for (i, c) in self.compressors.iter().enumerate() {
            let n = i + 1;
            book.flag(
                || format!("Compressor{n}/Trip"),
                c.state == crate::CompressorState::Tripped,
            );
            book.above(
                || format!("Compressor{n}/HighDischargeTemperature"),
                c.discharge_c,
                limits::DISCHARGE_TEMPERATURE_C.raise,
                limits::DISCHARGE_TEMPERATURE_C.clear,
            );
            let suction = if c.is_running() {
                c.suction_bar
            } else {
                f64::INFINITY
            };
            book.below(
                || format!("Compressor{n}/LowSuctionPressure"),
                suction,
                limits::LOW_SUCTION_BAR.raise,
                limits::LOW_SUCTION_BAR.clear,
            );
        }
        book.above(
            || "Condenser/HighPressure".into(),
            self.condenser.pressure_bar(),
            limits::CONDENSER_HIGH_PRESSURE_BAR.raise,
            limits::CONDENSER_HIGH_PRESSURE_BAR.clear,
        );
        for (i, d) in self.ammonia.detectors.iter().enumerate() {
            let n = i + 1;
            book.above(
                || format!("Ammonia{n}/Alarm25ppm"),
                d.ppm,
                limits::AMMONIA_ALARM_PPM.raise,
                limits::AMMONIA_ALARM_PPM.clear,
            );
            book.above(
                || format!("Ammonia{n}/LiquidShutoff35ppm"),
                d.ppm,
                limits::AMMONIA_SHUTOFF_PPM.raise,
                limits::AMMONIA_SHUTOFF_PPM.clear,
            );
            book.above(
                || format!("Ammonia{n}/EmergencyVent150ppm"),
                d.ppm,
                limits::AMMONIA_EMERGENCY_PPM.raise,
                limits::AMMONIA_EMERGENCY_PPM.clear,
            );
        }
        let nominal = self.power.nominal_v();
        book.below(
            || "PowerMeter/Undervoltage".into(),
            self.power.voltage_v,
            limits::UNDERVOLTAGE_FRACTION.raise * nominal,
            limits::UNDERVOLTAGE_FRACTION.clear * nominal,
        );
        book.above(
            || "IceStore/HighTemperature".into(),
            self.store.temperature_c,
            limits::ICE_STORE_HIGH_C.raise,
            limits::ICE_STORE_HIGH_C.clear,
        );
    }

    /// Plant time since start.
    pub fn elapsed(&self) -> Duration {
        Duration::from_secs_f64(self.time_s)
    }

    /// The configuration the plant was built with (setpoints reflect later changes).
    pub fn config(&self) -> &PlantConfig {
        &self.config
    }

    /// Compressors, lead first.
    pub fn compressors(&self) -> &[Compressor] {
        &self.compressors
    }

    /// Evaporating (saturated suction) temperature, °C.
    pub fn evaporating_c(&self) -> f64 {
        self.evaporating_c
    }

    /// Condenser.
    pub fn condenser(&self) -> &Condenser {
        &self.condenser
    }

    /// Brine tank.
    pub fn brine(&self) -> &BrineTank {
        &self.brine
    }

    /// Can grid.
    pub fn cans(&self) -> &CanGrid {
        &self.cans
    }

    /// Ice store.
    pub fn store(&self) -> &IceStore {
        &self.store
    }

    /// Ammonia detectors, machinery room first.
    pub fn ammonia_detectors(&self) -> &[AmmoniaDetector] {
        &self.ammonia.detectors
    }

    /// Power meter.
    pub fn power(&self) -> &PowerMeter {
        &self.power
    }

    /// Ambient temperature, °C.
    pub fn ambient_c(&self) -> f64 {
        self.ambient.temperature_c
    }

    /// Every alarm, raised or not, in a stable order.
    pub fn alarms(&self) -> &[Alarm] {
        self.alarms.all()
    }

    /// Alarms currently raised.
    pub fn active_alarms(&self) -> impl Iterator<Item = &Alarm> {
        self.alarms.all().iter().filter(|a| a.active)
    }

    /// Whether the named alarm is raised.
    pub fn is_alarm_active(&self, name: &str) -> bool {
        self.active_alarms().any(|a| a.name == name)
    }

    /// Next raise/clear event since the last poll, oldest first.
    pub fn poll_alarm_event(&mut self) -> Option<AlarmEvent> {
        self.alarms.poll_event()
    }
}
