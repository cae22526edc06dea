//! The flat list of named signals a simulator maps to metrics.
//!
//! Names are `Device/Metric`; the list and its order depend only on the configuration, so a
//! consumer may assign aliases once at birth.

use crate::plant::Plant;

/// A signal value.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SignalValue {
    /// A measurement.
    F64(f64),
    /// A state or switch.
    Bool(bool),
    /// A counter.
    U64(u64),
}

/// One named signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Stable name, e.g. `"Compressor1/SuctionPressure"`.
    pub name: String,
    /// Engineering unit (empty when dimensionless).
    pub unit: &'static str,
    /// Current value.
    pub value: SignalValue,
}

struct Out(Vec<Signal>);

impl Out {
    fn f(&mut self, name: impl Into<String>, unit: &'static str, v: f64) {
        self.0.push(Signal {
            name: name.into(),
            unit,
            value: SignalValue::F64(v),
        });
    }
    fn b(&mut self, name: impl Into<String>, v: bool) {
        self.0.push(Signal {
            name: name.into(),
            unit: "",
            value: SignalValue::Bool(v),
        });
    }
    fn u(&mut self, name: impl Into<String>, unit: &'static str, v: u64) {
        self.0.push(Signal {
            name: name.into(),
            unit,
            value: SignalValue::U64(v),
        });
    }
}

impl Plant {
    /// All signals, in a stable order.
    pub fn signals(&self) -> impl Iterator<Item = Signal> + use<> {
        let mut o = Out(Vec::with_capacity(96));
        o.f("Plant/AmbientTemperature", "°C", self.ambient_c());
        o.f("Plant/HourOfDay", "h", self.hour_of_day());
        o.f("Plant/BrineSetpoint", "°C", self.config.brine_setpoint_c);
        for (i, c) in self.compressors.iter().enumerate() {
            let p = format!("Compressor{}", i + 1);
            o.b(format!("{p}/Enabled"), c.enabled);
            o.b(format!("{p}/Running"), c.is_running());
            o.b(
                format!("{p}/Tripped"),
                c.state == crate::CompressorState::Tripped,
            );
            o.f(format!("{p}/Capacity"), "%", c.capacity * 100.0);
            o.f(format!("{p}/SuctionPressure"), "bar(a)", c.suction_bar);
            o.f(format!("{p}/DischargePressure"), "bar(a)", c.discharge_bar);
            o.f(format!("{p}/DischargeTemperature"), "°C", c.discharge_c);
            o.f(format!("{p}/RefrigerationPower"), "kW", c.refrigeration_kw);
            o.f(format!("{p}/MotorPower"), "kW", c.motor_kw);
            o.f(format!("{p}/MotorCurrent"), "A", c.current_a);
            o.f(format!("{p}/RunHours"), "h", c.run_s / 3600.0);
            o.u(format!("{p}/Starts"), "", c.starts);
        }
        o.f("Evaporator/Temperature", "°C", self.evaporating_c);
        let cond = &self.condenser;
        o.f("Condenser/CondensingTemperature", "°C", cond.condensing_c);
        o.f(
            "Condenser/CondensingPressure",
            "bar(a)",
            cond.pressure_bar(),
        );
        o.f("Condenser/HeatRejected", "kW", cond.rejected_kw);
        o.f("Condenser/Fouling", "%", cond.fouling * 100.0);
        let brine = &self.brine;
        o.f("BrineTank/Temperature", "°C", brine.temperature_c);
        o.f("BrineTank/Salinity", "%", brine.salinity_pct);
        o.f("BrineTank/FreezingPoint", "°C", brine.freezing_point_c());
        o.f("BrineTank/Level", "mm", brine.level_mm);
        o.b("BrineTank/AgitatorOn", brine.agitator_on);
        o.b("BrineTank/AgitatorRunning", brine.agitator_running());
        o.f("BrineTank/CoilIce", "mm", brine.coil_ice_mm);
        let cans = &self.cans;
        o.u("CanGrid/RowsFreezing", "", cans.rows_freezing() as u64);
        o.b("CanGrid/CraneBusy", cans.crane_busy());
        o.u("CanGrid/BlocksHarvested", "", cans.blocks);
        o.f("CanGrid/TonnesHarvested", "t", cans.tonnes());
        // 0 until the first full cycle completes (NaN would break equality checks downstream).
        o.f(
            "CanGrid/LastFreezeCycle",
            "h",
            cans.last_cycle_s.map_or(0.0, |s| s / 3600.0),
        );
        o.f("IceStore/Temperature", "°C", self.store.temperature_c);
        o.f("IceStore/Inventory", "t", self.store.inventory_t);
        o.f("IceStore/Dispatched", "t", self.store.dispatched_t);
        for (i, d) in self.ammonia.detectors.iter().enumerate() {
            o.f(format!("Ammonia{}/Concentration", i + 1), "ppm", d.ppm);
        }
        let p = &self.power;
        o.f("PowerMeter/Voltage", "V", p.voltage_v);
        o.f("PowerMeter/PowerFactor", "", p.power_factor);
        o.f("PowerMeter/ActivePower", "kW", p.kw);
        o.f("PowerMeter/Energy", "kWh", p.kwh);
        o.u(
            "Plant/ActiveAlarms",
            "",
            self.active_alarms().count() as u64,
        );
        o.0.into_iter()
    }
}
