//! Runs one plant day at dt = 1 s and prints the wall time, hourly state and the KPIs.
//!
//! `cargo run --release -p plant-model --example plant_day`
#![allow(clippy::print_stdout)]

use plant_model::{Plant, PlantConfig};
use std::time::{Duration, Instant};

fn main() {
    let mut plant = Plant::new(PlantConfig::default(), 7);
    let started = Instant::now();
    for second in 0..86_400u32 {
        plant.step(Duration::from_secs(1));
        if (second + 1) % 7200 == 0 {
            let c: Vec<String> = plant
                .compressors()
                .iter()
                .map(|c| format!("{:.0}%", c.capacity * 100.0))
                .collect();
            println!(
                "{:5.1} h amb {:5.1} brine {:6.2} Te {:6.2} Tc {:5.1} Pd {:5.2} Td {:5.1} comps {:?} kW {:6.1} blocks {}",
                plant.elapsed().as_secs_f64() / 3600.0,
                plant.ambient_c(),
                plant.brine().temperature_c,
                plant.evaporating_c(),
                plant.condenser().condensing_c,
                plant.condenser().pressure_bar(),
                plant.compressors()[0].discharge_c,
                c,
                plant.power().kw,
                plant.cans().blocks,
            );
        }
    }
    let wall = started.elapsed();
    println!(
        "one plant day at dt = 1 s took {:.3} s wall time",
        wall.as_secs_f64()
    );
    println!("{:#?}", plant.kpis());
    for a in plant.active_alarms() {
        println!("active alarm: {}", a.name);
    }
}
