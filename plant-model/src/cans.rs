//! The can grid, the crane and thaw tank: freezing per the freeze-time equation, harvest.

/// Heat removed per kg of ice: water 26 → 0 °C, latent 334 kJ/kg, ice 0 → −8 °C (§3, derived).
pub const HEAT_PER_KG_KJ: f64 = 459.0;
/// Freezing slows without brine circulation (film coefficient drops; assumption).
const STILL_BRINE_FREEZE_FACTOR: f64 = 0.6;

/// Freeze time of a can, hours: `t = a² / (165.9 · (−T_brine))`, a in mm (ICE_PLANT.md §3).
///
/// Returns `None` when the brine is at or above 0 °C (the can never freezes).
pub fn freeze_time_hours(can_thickness_mm: f64, brine_c: f64) -> Option<f64> {
    (brine_c < 0.0).then(|| can_thickness_mm.powi(2) / (165.9 * -brine_c))
}

/// What a row of cans is doing.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum RowState {
    /// Freezing; `progress` runs 0 → 1 and the row is frozen at 1.
    Freezing {
        /// Fraction of the freeze done.
        progress: f64,
        /// Plant time the row was filled, s.
        filled_at_s: f64,
    },
    /// Lifted by the crane into the thaw tank, then tipped and refilled.
    InCrane {
        /// Plant time the crane lifted the row, s.
        lifted_at_s: f64,
    },
}

/// Harvest schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HarvestMode {
    /// Harvest each row as soon as it is frozen and the crane is free.
    WhenFrozen,
    /// Crane parked; frozen rows wait.
    Paused,
}

/// The grid of cans.
#[derive(Debug, Clone)]
pub struct CanGrid {
    /// Row states, in crane order.
    pub rows: Vec<RowState>,
    /// Harvest schedule.
    pub harvest: HarvestMode,
    /// Blocks harvested since start.
    pub blocks: u64,
    /// Last completed freeze cycle (fill → frozen), s.
    pub last_cycle_s: Option<f64>,
    cans_per_row: usize,
    block_mass_kg: f64,
    thickness_mm: f64,
    crane_cycle_s: f64,
}

impl CanGrid {
    /// Rows start staggered (row i is i/rows frozen) so the plant starts in steady rotation.
    pub(crate) fn new(
        rows: usize,
        cans_per_row: usize,
        block_mass_kg: f64,
        thickness_mm: f64,
        crane_cycle_s: f64,
    ) -> Self {
        let rows = (0..rows)
            .map(|i| RowState::Freezing {
                progress: i as f64 / rows.max(1) as f64,
                filled_at_s: f64::NAN,
            })
            .collect();
        Self {
            rows,
            harvest: HarvestMode::WhenFrozen,
            blocks: 0,
            last_cycle_s: None,
            cans_per_row,
            block_mass_kg,
            thickness_mm,
            crane_cycle_s,
        }
    }

    /// Tonnes harvested since start.
    pub fn tonnes(&self) -> f64 {
        self.blocks as f64 * self.block_mass_kg / 1000.0
    }

    /// Rows currently freezing (for can utilisation).
    pub fn rows_freezing(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r, RowState::Freezing { progress, .. } if *progress < 1.0))
            .count()
    }

    /// Whether the crane is busy.
    pub fn crane_busy(&self) -> bool {
        self.rows
            .iter()
            .any(|r| matches!(r, RowState::InCrane { .. }))
    }

    /// Advances freezing and the crane; returns (heat drawn from the brine kW, tonnes harvested).
    ///
    /// A can's heat is released evenly over its freeze, so the load is
    /// `cans · m · q · d(progress)/dt`, consistent with the freeze-time equation.
    pub(crate) fn step(
        &mut self,
        brine_c: f64,
        agitated: bool,
        now_s: f64,
        dt_s: f64,
    ) -> (f64, f64) {
        let factor = if agitated {
            1.0
        } else {
            STILL_BRINE_FREEZE_FACTOR
        };
        let rate_per_s =
            freeze_time_hours(self.thickness_mm, brine_c).map_or(0.0, |h| factor / (h * 3600.0));
        let row_heat_kj = self.cans_per_row as f64 * self.block_mass_kg * HEAT_PER_KG_KJ;
        let mut load_kw = 0.0;
        let mut harvested_t = 0.0;
        let mut crane_free = !self.crane_busy();
        for row in &mut self.rows {
            match row {
                RowState::Freezing {
                    progress,
                    filled_at_s,
                } if *progress < 1.0 => {
                    let advance = (rate_per_s * dt_s).min(1.0 - *progress);
                    *progress += advance;
                    load_kw += row_heat_kj * advance / dt_s;
                    if *progress >= 1.0 && filled_at_s.is_finite() {
                        self.last_cycle_s = Some(now_s + dt_s - *filled_at_s);
                    }
                }
                RowState::Freezing { .. } => {
                    if crane_free && self.harvest == HarvestMode::WhenFrozen {
                        *row = RowState::InCrane { lifted_at_s: now_s };
                        crane_free = false;
                    }
                }
                RowState::InCrane { lifted_at_s } => {
                    if now_s - *lifted_at_s >= self.crane_cycle_s {
                        self.blocks += self.cans_per_row as u64;
                        harvested_t += self.cans_per_row as f64 * self.block_mass_kg / 1000.0;
                        *row = RowState::Freezing {
                            progress: 0.0,
                            filled_at_s: now_s,
                        };
                    }
                }
            }
        }
        (load_kw, harvested_t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freeze_time_matches_the_design_sheet() {
        let at_10 = freeze_time_hours(175.0, -10.0).unwrap();
        let at_12 = freeze_time_hours(175.0, -12.0).unwrap();
        assert!((at_10 - 18.5).abs() < 0.1, "{at_10}");
        assert!((at_12 - 15.4).abs() < 0.1, "{at_12}");
        assert_eq!(freeze_time_hours(175.0, 0.5), None);
    }

    #[test]
    fn a_single_row_freezes_in_the_equation_time() {
        let mut grid = CanGrid::new(1, 10, 50.0, 175.0, 600.0);
        grid.rows[0] = RowState::Freezing {
            progress: 0.0,
            filled_at_s: 0.0,
        };
        let mut t = 0.0;
        while grid.last_cycle_s.is_none() && t < 30.0 * 3600.0 {
            grid.step(-10.0, true, t, 10.0);
            t += 10.0;
        }
        let hours = grid.last_cycle_s.unwrap() / 3600.0;
        assert!((hours - 18.46).abs() < 0.01, "{hours}");
    }
}
