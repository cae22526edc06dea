//! Setpoints, switches and injectable faults: the inputs an operator or a test applies.

use crate::cans::HarvestMode;
use crate::plant::Plant;
use std::fmt;
use std::time::Duration;

/// A compressor index outside `0..compressors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCompressor {
    /// The index asked for.
    pub index: usize,
    /// How many compressors the plant has.
    pub count: usize,
}

impl fmt::Display for UnknownCompressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "compressor index {} is out of range: the plant has {}",
            self.index, self.count
        )
    }
}

impl std::error::Error for UnknownCompressor {}

impl Plant {
    fn compressor_mut(
        &mut self,
        index: usize,
    ) -> Result<&mut crate::Compressor, UnknownCompressor> {
        let count = self.compressors.len();
        self.compressors
            .get_mut(index)
            .ok_or(UnknownCompressor { index, count })
    }

    /// Sets the brine temperature setpoint, °C (clamped to
    /// [`BRINE_SETPOINT_C`](crate::limits::BRINE_SETPOINT_C), −25…−2 °C).
    pub fn set_brine_setpoint(&mut self, celsius: f64) {
        let range = crate::limits::BRINE_SETPOINT_C;
        self.config.brine_setpoint_c = celsius.clamp(range.min, range.max);
    }

    /// Enables or disables a compressor for the staging controller (index 0 = lead).
    pub fn set_compressor_enabled(
        &mut self,
        index: usize,
        enabled: bool,
    ) -> Result<(), UnknownCompressor> {
        self.compressor_mut(index)?.enabled = enabled;
        Ok(())
    }

    /// Switches the agitator on or off.
    pub fn set_agitator(&mut self, on: bool) {
        self.brine.agitator_on = on;
    }

    /// Sets the harvest schedule.
    pub fn set_harvest(&mut self, mode: HarvestMode) {
        self.cans.harvest = mode;
    }

    /// Fault: the agitator motor trips although switched on.
    pub fn fail_agitator(&mut self) {
        self.brine.agitator_fault = true;
    }

    /// Clears the agitator fault.
    pub fn repair_agitator(&mut self) {
        self.brine.agitator_fault = false;
    }

    /// Fault: condenser fouling, 0 = clean … 1 = badly fouled.
    pub fn set_condenser_fouling(&mut self, fouling: f64) {
        self.condenser.fouling = fouling.clamp(0.0, 1.0);
    }

    /// Fault: a compressor trips and stays off until reset.
    pub fn trip_compressor(&mut self, index: usize) -> Result<(), UnknownCompressor> {
        self.compressor_mut(index)?.trip();
        Ok(())
    }

    /// Resets a tripped compressor; the staging controller may start it again.
    pub fn reset_compressor(&mut self, index: usize) -> Result<(), UnknownCompressor> {
        let c = self.compressor_mut(index)?;
        if c.state == crate::CompressorState::Tripped {
            c.state = crate::CompressorState::Stopped;
        }
        Ok(())
    }

    /// Fault: an ammonia leak whose source grows by `ramp_ppm_per_s2` ppm/s every second
    /// (capped at 5 ppm/s).
    pub fn start_ammonia_leak(&mut self, ramp_ppm_per_s2: f64) {
        self.ammonia.start_leak(ramp_ppm_per_s2);
    }

    /// Stops the leak; ventilation then clears the room.
    pub fn stop_ammonia_leak(&mut self) {
        self.ammonia.stop_leak();
    }

    /// Fault: the brine is diluted (e.g. by melt water) to `salinity_pct`.
    pub fn dilute_brine(&mut self, salinity_pct: f64) {
        self.brine.salinity_pct = salinity_pct.clamp(0.0, 26.4);
    }

    /// Adds salt until the brine is back at `salinity_pct`.
    pub fn restore_brine_strength(&mut self, salinity_pct: f64) {
        self.dilute_brine(salinity_pct);
    }

    /// Fault: the supply voltage drops by `depth` (fraction of nominal) for `duration`.
    /// Below 85 % of nominal the compressor motors drop out and are restarted by staging.
    pub fn power_dip(&mut self, depth: f64, duration: Duration) {
        let until = self.time_s + duration.as_secs_f64();
        self.power.dip(depth, until);
    }
}
