//! The alarm limits: where each level alarm of the plant is raised and where it clears.
//!
//! [`crate::Plant`] evaluates its alarms with these constants, and a dashboard colours values
//! with the same ones, so the two cannot disagree.

/// A level alarm's two thresholds. For a high alarm `clear < raise` (raised when the value goes
/// above `raise`, cleared when it falls below `clear`); for a low alarm `clear > raise`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// The value past which the alarm is raised.
    pub raise: f64,
    /// The value back past which it clears (the hysteresis band lies between the two).
    pub clear: f64,
}

/// The range of a setpoint an operator may set (both ends included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SetpointRange {
    /// The lowest value.
    pub min: f64,
    /// The highest value.
    pub max: f64,
}

impl SetpointRange {
    /// Whether `value` lies in the range (never for NaN).
    pub fn contains(&self, value: f64) -> bool {
        (self.min..=self.max).contains(&value)
    }
}

/// The brine temperature setpoint, °C: [`crate::Plant::set_brine_setpoint`] clamps to it, and
/// a simulated plant publishes it as `engLow`/`engHigh` of `BrineTank/Setpoint/Temperature`, so
/// a host can refuse a write outside it before sending it.
pub const BRINE_SETPOINT_C: SetpointRange = SetpointRange {
    min: -25.0,
    max: -2.0,
};

/// `BrineTank/HighTemperature`, K above the brine setpoint.
pub const BRINE_HIGH_ABOVE_SETPOINT_K: Limit = Limit {
    raise: 3.0,
    clear: 2.0,
};
/// `BrineTank/LowStrength`, salinity % (a low alarm).
pub const BRINE_LOW_STRENGTH_PCT: Limit = Limit {
    raise: 18.0,
    clear: 19.0,
};
/// `BrineTank/CoilIce`, mm of ice on the coils.
pub const COIL_ICE_MM: Limit = Limit {
    raise: 2.0,
    clear: 0.5,
};
/// `CompressorN/HighDischargeTemperature`, °C.
pub const DISCHARGE_TEMPERATURE_C: Limit = Limit {
    raise: 135.0,
    clear: 125.0,
};
/// `CompressorN/LowSuctionPressure`, bar(a), while the compressor runs (a low alarm).
pub const LOW_SUCTION_BAR: Limit = Limit {
    raise: 1.2,
    clear: 1.4,
};
/// `Condenser/HighPressure`, condensing pressure in bar(a).
pub const CONDENSER_HIGH_PRESSURE_BAR: Limit = Limit {
    raise: 16.5,
    clear: 15.5,
};
/// `AmmoniaN/Alarm25ppm`.
pub const AMMONIA_ALARM_PPM: Limit = Limit {
    raise: 25.0,
    clear: 20.0,
};
/// `AmmoniaN/LiquidShutoff35ppm`.
pub const AMMONIA_SHUTOFF_PPM: Limit = Limit {
    raise: 35.0,
    clear: 30.0,
};
/// `AmmoniaN/EmergencyVent150ppm`.
pub const AMMONIA_EMERGENCY_PPM: Limit = Limit {
    raise: 150.0,
    clear: 125.0,
};
/// `PowerMeter/Undervoltage`, as fractions of the nominal voltage (a low alarm).
pub const UNDERVOLTAGE_FRACTION: Limit = Limit {
    raise: 0.9,
    clear: 0.94,
};
/// `IceStore/HighTemperature`, °C.
pub const ICE_STORE_HIGH_C: Limit = Limit {
    raise: -2.0,
    clear: -3.0,
};
