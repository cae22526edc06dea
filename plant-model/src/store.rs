//! The ice store: room temperature and inventory.

use crate::rng::Rng;

/// Store room setpoint, °C (plant-specific; ICE_PLANT.md gives none, assumption).
const SETPOINT_C: f64 = -6.0;

/// State of the ice store.
#[derive(Debug, Clone)]
pub struct IceStore {
    /// Room temperature, °C.
    pub temperature_c: f64,
    /// Ice in store, t.
    pub inventory_t: f64,
    /// Ice dispatched since start, t.
    pub dispatched_t: f64,
}

impl IceStore {
    pub(crate) fn new() -> Self {
        Self {
            temperature_c: SETPOINT_C,
            inventory_t: 0.0,
            dispatched_t: 0.0,
        }
    }

    /// Adds harvested ice, dispatches during 06:00–18:00 at `rate_t_per_h`, and moves the room
    /// temperature toward its setpoint plus a share of the ambient load (door openings).
    pub(crate) fn step(
        &mut self,
        harvested_t: f64,
        rate_t_per_h: f64,
        hour: f64,
        ambient_c: f64,
        dt_s: f64,
        rng: &mut Rng,
    ) {
        self.inventory_t += harvested_t;
        let selling = (6.0..18.0).contains(&hour);
        if selling {
            let out = (rate_t_per_h * dt_s / 3600.0).min(self.inventory_t);
            self.inventory_t -= out;
            self.dispatched_t += out;
        }
        let door_load = if selling {
            0.05 * (ambient_c - SETPOINT_C)
        } else {
            0.0
        };
        let target = SETPOINT_C + door_load;
        self.temperature_c += (target - self.temperature_c) * (dt_s / 900.0).min(1.0)
            + 0.01 * dt_s.sqrt() * rng.symmetric();
    }
}
