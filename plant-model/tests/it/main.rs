//! Integration tests of the plant model: the physics a plant engineer would check.

mod consistency;
mod faults;
mod physics;

use plant_model::{Plant, PlantConfig, SignalValue};
use std::time::Duration;

/// Runs `seconds` of plant time in 1 s steps.
pub(crate) fn run(plant: &mut Plant, seconds: u64) {
    for _ in 0..seconds {
        plant.step(Duration::from_secs(1));
    }
}

/// A default plant warmed up for 6 h (staging settled, condenser at temperature).
pub(crate) fn warm_plant(seed: u64) -> Plant {
    let mut plant = Plant::new(PlantConfig::default(), seed);
    run(&mut plant, 6 * 3600);
    plant
}

/// The value of a numeric signal.
pub(crate) fn signal(plant: &Plant, name: &str) -> f64 {
    match plant.signals().find(|s| s.name == name).map(|s| s.value) {
        Some(SignalValue::F64(v)) => v,
        other => panic!("{name}: {other:?}"),
    }
}
