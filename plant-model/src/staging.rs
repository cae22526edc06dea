//! Lead/lag staging and capacity control of the compressors on brine temperature.
//!
//! A PI controller turns the brine temperature error into a demand measured in compressors
//! (0..=available). Running compressors are loaded in start order: the lead to 100 % first,
//! then each lag. A lag starts when every running machine is above 90 % and the last one stops
//! below 30 % (ICE_PLANT.md §2), with ≥2 min run time and ≥5 min between starts of one machine
//! (≤12 starts/h).

use crate::compressor::{Compressor, CompressorState};

const PROPORTIONAL_PER_K: f64 = 1.0;
const INTEGRAL_TIME_S: f64 = 600.0;
const MIN_RUN_S: f64 = 120.0;
const MIN_START_INTERVAL_S: f64 = 300.0;
/// Wait between staging decisions so a new machine's effect shows before the next one.
const STAGE_DELAY_S: f64 = 180.0;
const MIN_CAPACITY: f64 = 0.25;

/// Controller state.
#[derive(Debug, Clone)]
pub(crate) struct Staging {
    integral: f64,
    last_stage_s: f64,
}

impl Staging {
    pub(crate) fn new() -> Self {
        Self {
            integral: 0.0,
            last_stage_s: f64::NEG_INFINITY,
        }
    }

    pub(crate) fn control(
        &mut self,
        compressors: &mut [Compressor],
        brine_c: f64,
        setpoint_c: f64,
        now_s: f64,
        dt_s: f64,
    ) {
        let available = compressors
            .iter()
            .filter(|c| c.enabled && c.state != CompressorState::Tripped)
            .count() as f64;
        let error = brine_c - setpoint_c;
        self.integral = (self.integral + PROPORTIONAL_PER_K * error * dt_s / INTEGRAL_TIME_S)
            .clamp(0.0, available);
        let demand = (PROPORTIONAL_PER_K * error + self.integral).clamp(0.0, available);

        for c in compressors
            .iter_mut()
            .filter(|c| !c.enabled && c.is_running())
        {
            c.stop();
        }
        let running = compressors.iter().filter(|c| c.is_running()).count();
        let last_share = demand - running.saturating_sub(1) as f64;
        let may_stage = now_s - self.last_stage_s >= STAGE_DELAY_S;

        let wants_start = (running == 0 && error > 0.3) || (running > 0 && last_share > 0.9);
        let wants_stop = (running > 1 && last_share < 0.3) || (running == 1 && error < -1.0);
        if may_stage && wants_start {
            if let Some(next) = compressors.iter_mut().find(|c| {
                c.enabled
                    && c.state == CompressorState::Stopped
                    && now_s - c.last_start_s >= MIN_START_INTERVAL_S
            }) {
                next.start(now_s);
                self.last_stage_s = now_s;
            }
        } else if may_stage && wants_stop {
            // Last started lag stops first; the lead is the first enabled machine.
            if let Some(last) = compressors
                .iter_mut()
                .filter(|c| c.is_running() && now_s - c.last_start_s >= MIN_RUN_S)
                .max_by(|a, b| a.last_start_s.total_cmp(&b.last_start_s))
            {
                last.stop();
                self.last_stage_s = now_s;
            }
        }
        let mut order: Vec<&mut Compressor> =
            compressors.iter_mut().filter(|c| c.is_running()).collect();
        order.sort_by(|a, b| a.last_start_s.total_cmp(&b.last_start_s));
        let mut left = demand;
        for c in order {
            c.capacity = left.clamp(MIN_CAPACITY, 1.0);
            left -= c.capacity;
        }
    }
}
