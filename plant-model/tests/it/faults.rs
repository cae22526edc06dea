use crate::{run, warm_plant};
use plant_model::{Plant, PlantConfig};
use std::time::Duration;

/// Runs until `name` is raised (or `limit_s` passes) and returns the seconds it took.
fn seconds_until(plant: &mut Plant, name: &str, active: bool, limit_s: u64) -> Option<u64> {
    (0..limit_s).find(|_| {
        run(plant, 1);
        plant.is_alarm_active(name) == active
    })
}

#[test]
fn agitator_stop_raises_alarm_and_starves_the_coils() {
    let mut plant = warm_plant(10);
    let suction = plant.compressors()[0].suction_bar;
    plant.fail_agitator();
    run(&mut plant, 1);
    assert!(plant.is_alarm_active("BrineTank/AgitatorStopped"));
    run(&mut plant, 3600);
    assert!(
        plant.compressors()[0].suction_bar < suction - 0.2,
        "still brine lowers suction"
    );
    plant.repair_agitator();
    run(&mut plant, 1);
    assert!(!plant.is_alarm_active("BrineTank/AgitatorStopped"));
    plant.set_agitator(false);
    run(&mut plant, 1);
    assert!(
        plant.is_alarm_active("BrineTank/AgitatorStopped"),
        "switched off counts too"
    );
}

#[test]
fn condenser_fouling_raises_head_pressure_then_clears() {
    let mut plant = warm_plant(11);
    plant.set_condenser_fouling(1.0);
    assert!(seconds_until(&mut plant, "Condenser/HighPressure", true, 3600).is_some());
    run(&mut plant, 1800);
    assert!(plant.is_alarm_active("Compressor1/HighDischargeTemperature"));
    plant.set_condenser_fouling(0.0);
    assert!(seconds_until(&mut plant, "Condenser/HighPressure", false, 3600).is_some());
    assert!(
        seconds_until(
            &mut plant,
            "Compressor1/HighDischargeTemperature",
            false,
            3600
        )
        .is_some()
    );
}

#[test]
fn compressor_trip_alarms_and_a_lag_takes_over() {
    let mut plant = warm_plant(12);
    plant.trip_compressor(0).unwrap();
    run(&mut plant, 1);
    assert!(plant.is_alarm_active("Compressor1/Trip"));
    run(&mut plant, 2 * 3600);
    assert!(plant.compressors()[2].is_running(), "the spare starts");
    assert!((plant.brine().temperature_c + 11.0).abs() < 0.5);
    assert!(plant.trip_compressor(7).is_err());
    plant.reset_compressor(0).unwrap();
    run(&mut plant, 1);
    assert!(!plant.is_alarm_active("Compressor1/Trip"));
}

#[test]
fn all_compressors_tripped_raises_high_brine_temperature() {
    let mut plant = warm_plant(13);
    for i in 0..3 {
        plant.trip_compressor(i).unwrap();
    }
    assert!(seconds_until(&mut plant, "BrineTank/HighTemperature", true, 8 * 3600).is_some());
    for i in 0..3 {
        plant.reset_compressor(i).unwrap();
    }
    assert!(seconds_until(&mut plant, "BrineTank/HighTemperature", false, 8 * 3600).is_some());
}

#[test]
fn ammonia_leak_raises_25_35_150_in_order_and_ventilation_clears_them() {
    let mut plant = warm_plant(14);
    while plant.poll_alarm_event().is_some() {}
    plant.start_ammonia_leak(0.0005);
    for name in [
        "Ammonia1/Alarm25ppm",
        "Ammonia1/LiquidShutoff35ppm",
        "Ammonia1/EmergencyVent150ppm",
    ] {
        assert!(
            seconds_until(&mut plant, name, true, 3 * 3600).is_some(),
            "{name}"
        );
    }
    plant.stop_ammonia_leak();
    assert!(seconds_until(&mut plant, "Ammonia1/Alarm25ppm", false, 4 * 3600).is_some());
    let events: Vec<_> = std::iter::from_fn(|| plant.poll_alarm_event())
        .filter(|e| e.name.starts_with("Ammonia1/"))
        .map(|e| (e.name, e.raised))
        .collect();
    let raised: Vec<_> = events
        .iter()
        .filter(|e| e.1)
        .map(|e| e.0.as_str())
        .collect();
    assert_eq!(
        raised,
        [
            "Ammonia1/Alarm25ppm",
            "Ammonia1/LiquidShutoff35ppm",
            "Ammonia1/EmergencyVent150ppm"
        ]
    );
    assert_eq!(
        events.len(),
        6,
        "each raised once and cleared once: {events:?}"
    );
}

#[test]
fn low_brine_strength_alarms_and_ices_the_coils() {
    let mut plant = warm_plant(15);
    let suction = plant.compressors()[0].suction_bar;
    plant.dilute_brine(12.0);
    run(&mut plant, 1);
    assert!(plant.is_alarm_active("BrineTank/LowStrength"));
    run(&mut plant, 4 * 3600);
    assert!(
        plant.is_alarm_active("BrineTank/CoilIce"),
        "ice {}",
        plant.brine().coil_ice_mm
    );
    assert!(
        plant.compressors()[0].suction_bar < suction,
        "ice insulates the coils"
    );
    plant.restore_brine_strength(18.5);
    run(&mut plant, 1);
    assert!(
        plant.is_alarm_active("BrineTank/LowStrength"),
        "hysteresis: 18.5 % is not > 19 %"
    );
    plant.restore_brine_strength(22.0);
    run(&mut plant, 1);
    assert!(!plant.is_alarm_active("BrineTank/LowStrength"));
}

#[test]
fn power_dip_drops_compressors_and_they_restart() {
    let mut plant = warm_plant(16);
    plant.power_dip(0.2, Duration::from_secs(30));
    run(&mut plant, 2);
    assert!(plant.is_alarm_active("PowerMeter/Undervoltage"));
    assert!(plant.compressors().iter().all(|c| !c.is_running()));
    run(&mut plant, 30);
    assert!(!plant.is_alarm_active("PowerMeter/Undervoltage"));
    run(&mut plant, 15 * 60);
    assert!(
        plant.compressors().iter().any(|c| c.is_running()),
        "staging restarts"
    );
}

#[test]
fn shallow_dip_alarms_without_dropping_motors() {
    let mut plant = Plant::new(PlantConfig::default(), 17);
    run(&mut plant, 3600);
    plant.power_dip(0.12, Duration::from_secs(60));
    run(&mut plant, 2);
    assert!(plant.is_alarm_active("PowerMeter/Undervoltage"));
    assert!(plant.compressors().iter().any(|c| c.is_running()));
}
