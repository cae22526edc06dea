//! One ammonia screw compressor: run state, counters and its operating point.

use crate::refrigerant::{cycle_cop, discharge_temperature_c, saturation_pressure_bar};

/// Motor efficiency (assumption, typical IE3 motor of ~100 kW).
const MOTOR_EFFICIENCY: f64 = 0.94;
/// Extra shaft power at part load, as a fraction of unloaded capacity (screw slide-valve
/// inefficiency; assumption).
const PART_LOAD_PENALTY: f64 = 0.3;

/// Why a compressor is not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompressorState {
    /// Stopped and available to the staging controller.
    Stopped,
    /// Running.
    Running,
    /// Tripped: stays off until [`crate::Plant::reset_compressor`].
    Tripped,
}

/// Operating point and counters of one compressor.
#[derive(Debug, Clone)]
pub struct Compressor {
    /// Operator enable: a disabled compressor is never started by the staging controller.
    pub enabled: bool,
    /// Run state.
    pub state: CompressorState,
    /// Slide-valve capacity, 0.25–1.0 while running.
    pub capacity: f64,
    /// Total running time, s.
    pub run_s: f64,
    /// Number of starts.
    pub starts: u64,
    /// Plant time of the last start, s (`-inf` before the first).
    pub(crate) last_start_s: f64,
    /// Suction pressure, bar(a).
    pub suction_bar: f64,
    /// Discharge pressure, bar(a).
    pub discharge_bar: f64,
    /// Discharge temperature, °C.
    pub discharge_c: f64,
    /// Refrigeration delivered, kW.
    pub refrigeration_kw: f64,
    /// Electrical input, kW.
    pub motor_kw: f64,
    /// Motor current per phase, A.
    pub current_a: f64,
}

impl Compressor {
    pub(crate) fn new() -> Self {
        Self {
            enabled: true,
            state: CompressorState::Stopped,
            capacity: 0.0,
            run_s: 0.0,
            starts: 0,
            last_start_s: f64::NEG_INFINITY,
            suction_bar: 0.0,
            discharge_bar: 0.0,
            discharge_c: 30.0,
            refrigeration_kw: 0.0,
            motor_kw: 0.0,
            current_a: 0.0,
        }
    }

    /// Whether the compressor is running.
    pub fn is_running(&self) -> bool {
        self.state == CompressorState::Running
    }

    pub(crate) fn start(&mut self, now_s: f64) {
        self.state = CompressorState::Running;
        self.starts += 1;
        self.last_start_s = now_s;
        self.capacity = 0.25;
    }

    pub(crate) fn stop(&mut self) {
        if self.state == CompressorState::Running {
            self.state = CompressorState::Stopped;
        }
        self.capacity = 0.0;
    }

    pub(crate) fn trip(&mut self) {
        self.state = CompressorState::Tripped;
        self.capacity = 0.0;
    }

    /// Sets the operating point for this step.
    ///
    /// `refrigeration_kw` is this compressor's share of the evaporator duty; pressures come
    /// from the saturation temperatures; the discharge temperature lags with a 2 min time
    /// constant (head and oil mass, assumption).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn operate(
        &mut self,
        refrigeration_kw: f64,
        evaporating_c: f64,
        condensing_c: f64,
        ambient_c: f64,
        voltage_v: f64,
        power_factor: f64,
        dt_s: f64,
    ) {
        self.suction_bar = saturation_pressure_bar(evaporating_c);
        self.discharge_bar = saturation_pressure_bar(condensing_c);
        let running = self.is_running();
        let target_c = if running {
            self.run_s += dt_s;
            discharge_temperature_c(evaporating_c, self.discharge_bar / self.suction_bar)
        } else {
            ambient_c
        };
        self.discharge_c += (target_c - self.discharge_c) * (dt_s / 120.0).min(1.0);
        if running {
            let shaft_kw = refrigeration_kw / cycle_cop(evaporating_c, condensing_c)
                * (1.0 + PART_LOAD_PENALTY * (1.0 - self.capacity));
            self.refrigeration_kw = refrigeration_kw;
            self.motor_kw = shaft_kw / MOTOR_EFFICIENCY;
            self.current_a = self.motor_kw * 1000.0 / (3.0 * voltage_v.max(1.0) * power_factor);
        } else {
            self.refrigeration_kw = 0.0;
            self.motor_kw = 0.0;
            self.current_a = 0.0;
        }
    }
}
