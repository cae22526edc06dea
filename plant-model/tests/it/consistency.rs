use crate::run;
use plant_model::{HarvestMode, Plant, PlantConfig, freeze_time_hours};
use std::collections::HashSet;
use std::time::Duration;

#[test]
fn energy_and_production_totals_match_the_kpis() {
    let mut plant = Plant::new(PlantConfig::default(), 20);
    run(&mut plant, 2 * 86_400);
    let k = plant.kpis();
    assert_eq!(k.tonnes, k.blocks as f64 * 50.0 / 1000.0);
    assert!((k.kwh_per_tonne.unwrap() - k.kwh / k.tonnes).abs() < 1e-9);
    assert!((k.kwh - plant.power().kwh).abs() < 1e-9);
    let store = plant.store();
    assert!((store.inventory_t + store.dispatched_t - k.tonnes).abs() < 1e-6);
    // 400 cans × 50 kg every freeze cycle.
    let expected = 400.0 * 0.05 * 24.0 / freeze_time_hours(175.0, -11.0).unwrap();
    assert!(
        (k.tonnes_per_day - expected).abs() / expected < 0.05,
        "{} vs {expected}",
        k.tonnes_per_day
    );
    assert!(k.compressor_duty.iter().all(|d| (0.0..=1.0).contains(d)));
    assert!(k.compressor_duty[0] > 0.9, "the lead runs nearly all day");
}

#[test]
fn paused_harvest_stops_production() {
    let mut plant = Plant::new(PlantConfig::default(), 21);
    plant.set_harvest(HarvestMode::Paused);
    run(&mut plant, 86_400);
    assert_eq!(plant.kpis().blocks, 0);
    assert_eq!(plant.kpis().kwh_per_tonne, None);
    plant.set_harvest(HarvestMode::WhenFrozen);
    run(&mut plant, 3600);
    assert!(plant.kpis().blocks > 0);
}

fn scripted(seed: u64) -> Plant {
    let mut plant = Plant::new(PlantConfig::default(), seed);
    run(&mut plant, 5000);
    plant.start_ammonia_leak(0.001);
    plant.set_condenser_fouling(0.5);
    plant.power_dip(0.3, Duration::from_secs(10));
    run(&mut plant, 5000);
    plant
}

#[test]
fn same_seed_gives_identical_signals_and_different_seeds_differ() {
    let (a, b, c) = (scripted(99), scripted(99), scripted(100));
    let sa: Vec<_> = a.signals().collect();
    assert_eq!(sa, b.signals().collect::<Vec<_>>());
    assert_eq!(a.alarms(), b.alarms());
    let sc: Vec<_> = c.signals().collect();
    for name in [
        "Plant/AmbientTemperature",
        "Ammonia2/Concentration",
        "PowerMeter/Voltage",
    ] {
        let pick = |s: &[plant_model::Signal]| s.iter().find(|x| x.name == name).map(|x| x.value);
        assert_ne!(pick(&sa), pick(&sc), "{name} should depend on the seed");
    }
}

#[test]
fn signal_list_is_flat_unique_and_stable() {
    let mut plant = Plant::new(PlantConfig::default(), 30);
    let names: Vec<_> = plant.signals().map(|s| (s.name, s.unit)).collect();
    let unique: HashSet<_> = names.iter().map(|n| &n.0).collect();
    assert_eq!(unique.len(), names.len());
    assert!(
        names
            .iter()
            .any(|n| n.0 == "Compressor1/SuctionPressure" && n.1 == "bar(a)")
    );
    assert!(names.iter().any(|n| n.0 == "Compressor3/Starts"));
    plant.trip_compressor(1).unwrap();
    run(&mut plant, 3600);
    let later: Vec<_> = plant.signals().map(|s| (s.name, s.unit)).collect();
    assert_eq!(names, later);
}
