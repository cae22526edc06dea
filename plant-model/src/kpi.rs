//! Key performance indicators from the plant's running totals (ICE_PLANT.md §4).

use crate::plant::Plant;

/// KPIs since the plant started.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Kpis {
    /// Plant time, h.
    pub elapsed_h: f64,
    /// Blocks harvested.
    pub blocks: u64,
    /// Ice harvested, t.
    pub tonnes: f64,
    /// Ice per day, t/day.
    pub tonnes_per_day: f64,
    /// Plant energy, kWh.
    pub kwh: f64,
    /// Plant specific energy, kWh/t (`None` before the first harvest).
    pub kwh_per_tonne: Option<f64>,
    /// Compressor-only specific energy, kWh/t.
    pub compressor_kwh_per_tonne: Option<f64>,
    /// Refrigeration effect ÷ compressor electrical input (`None` before compressors ran).
    pub cop: Option<f64>,
    /// Last completed freeze cycle (fill → frozen), h.
    pub freeze_cycle_h: Option<f64>,
    /// Share of elapsed time each compressor ran, 0–1, lead first.
    pub compressor_duty: Vec<f64>,
    /// Share of can rows freezing now, 0–1.
    pub can_utilisation: f64,
}

impl Plant {
    /// Computes the KPIs from the running totals.
    pub fn kpis(&self) -> Kpis {
        let elapsed_s = self.time_s;
        let tonnes = self.cans.tonnes();
        let per_tonne = |kwh: f64| (tonnes > 0.0).then(|| kwh / tonnes);
        let compressor_kwh = self.totals.compressor_kwh;
        Kpis {
            elapsed_h: elapsed_s / 3600.0,
            blocks: self.cans.blocks,
            tonnes,
            tonnes_per_day: if elapsed_s > 0.0 {
                tonnes * 86_400.0 / elapsed_s
            } else {
                0.0
            },
            kwh: self.power.kwh,
            kwh_per_tonne: per_tonne(self.power.kwh),
            compressor_kwh_per_tonne: per_tonne(compressor_kwh),
            cop: (compressor_kwh > 0.0).then(|| self.totals.refrigeration_kwh / compressor_kwh),
            freeze_cycle_h: self.cans.last_cycle_s.map(|s| s / 3600.0),
            compressor_duty: self
                .compressors
                .iter()
                .map(|c| {
                    if elapsed_s > 0.0 {
                        c.run_s / elapsed_s
                    } else {
                        0.0
                    }
                })
                .collect(),
            can_utilisation: self.cans.rows_freezing() as f64 / self.cans.rows.len().max(1) as f64,
        }
    }
}
