//! The block-ice plant domain model: equipment, coupled physics, alarms and KPIs.
//!
//! **Status: not built yet.** This crate is a placeholder in the workspace layout fixed by
//! `DESIGN.md`; it exports nothing. The model (compressors, condenser, brine tank, can grid,
//! ice store, ammonia detectors, power meter) is tracked by the plant model and simulator issue.
//! By design it will stay pure: no MQTT, Sparkplug, database or async code.
