//! A block-ice plant model: ammonia compressors, condenser, brine tank, can grid, ice store,
//! ammonia detectors and power meter, coupled by physics, with alarms and KPIs.
//!
//! The model is pure and deterministic: no IO, no clock reads, no async. Time advances only
//! through [`Plant::step`], and a seed drives all noise, so the same seed and the same steps
//! give the same trajectory. Equations and ranges come from `ICE_PLANT.md`; each assumption
//! the document does not cover is stated where it is used.
//!
//! ```
//! use plant_model::{Plant, PlantConfig, SignalValue};
//! use std::time::Duration;
//!
//! let mut plant = Plant::new(PlantConfig::default(), 42);
//! for _ in 0..3600 {
//!     plant.step(Duration::from_secs(1));
//! }
//! let brine = plant.brine().temperature_c;
//! assert!((-13.0..=-9.0).contains(&brine), "brine at {brine} °C");
//!
//! plant.set_condenser_fouling(1.0);
//! plant.step(Duration::from_secs(1800));
//! assert!(plant.is_alarm_active("Condenser/HighPressure"));
//!
//! let suction = plant
//!     .signals()
//!     .find(|s| s.name == "Compressor1/SuctionPressure")
//!     .map(|s| s.value);
//! assert!(matches!(suction, Some(SignalValue::F64(bar)) if bar > 1.0));
//! ```
//!
//! The crate has no feature flags and no dependencies.

mod alarms;
mod ambient;
mod ammonia;
mod brine;
mod cans;
mod compressor;
mod condenser;
mod config;
mod controls;
mod kpi;
pub mod limits;
mod plant;
mod power;
mod refrigerant;
mod rng;
mod signals;
mod staging;
mod store;

pub use alarms::{Alarm, AlarmEvent};
pub use ammonia::AmmoniaDetector;
pub use brine::BrineTank;
pub use cans::{CanGrid, HEAT_PER_KG_KJ, HarvestMode, RowState, freeze_time_hours};
pub use compressor::{Compressor, CompressorState};
pub use condenser::Condenser;
pub use config::PlantConfig;
pub use controls::UnknownCompressor;
pub use kpi::Kpis;
pub use plant::Plant;
pub use power::PowerMeter;
pub use refrigerant::{saturation_pressure_bar, saturation_temperature_c};
pub use signals::{Signal, SignalValue};
pub use store::IceStore;
