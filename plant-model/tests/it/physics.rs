use crate::{run, signal, warm_plant};
use plant_model::{Plant, PlantConfig, freeze_time_hours};

#[test]
fn steady_state_stays_inside_documented_ranges() {
    let mut plant = warm_plant(1);
    for _ in 0..18 * 60 {
        run(&mut plant, 60);
        let brine = plant.brine().temperature_c;
        assert!(
            (-12.0..=-10.0).contains(&brine),
            "brine {brine} °C (doc: −10…−12)"
        );
        let te = plant.evaporating_c();
        assert!(
            (-20.0..=-14.0).contains(&te),
            "evaporating {te} °C (doc: 5–8 K below brine)"
        );
        for c in plant.compressors().iter().filter(|c| c.is_running()) {
            assert!(
                (1.9..=2.7).contains(&c.suction_bar),
                "suction {} bar(a)",
                c.suction_bar
            );
            // 10–17 barg typical head pressure ≈ 11–18 bar(a); mild nights sit a little lower.
            assert!(
                (10.0..=18.0).contains(&c.discharge_bar),
                "discharge {}",
                c.discharge_bar
            );
            assert!(
                c.discharge_c < 135.0,
                "discharge temperature {}",
                c.discharge_c
            );
        }
        let tc = plant.condenser().condensing_c;
        assert!(
            (25.0..=42.0).contains(&tc),
            "condensing {tc} °C (doc ≈30–40)"
        );
        let v = plant.power().voltage_v;
        assert!((220.0..=240.0).contains(&v), "voltage {v}");
        assert!(plant.ammonia_detectors().iter().all(|d| d.ppm < 5.0));
        let store = plant.store().temperature_c;
        assert!(store < 0.0, "ice store {store} °C");
        let active: Vec<_> = plant.active_alarms().map(|a| a.name.clone()).collect();
        assert!(active.is_empty(), "alarms in steady state: {active:?}");
    }
    let k = plant.kpis();
    let cop = k.cop.unwrap();
    assert!((2.5..=3.5).contains(&cop), "COP {cop} (doc 2.5–3.5)");
    let kwh_t = k.kwh_per_tonne.unwrap();
    assert!(
        (50.0..=90.0).contains(&kwh_t),
        "plant {kwh_t} kWh/t (doc: order 50–80)"
    );
    let comp_kwh_t = k.compressor_kwh_per_tonne.unwrap();
    assert!(
        (40.0..=65.0).contains(&comp_kwh_t),
        "compressors {comp_kwh_t} kWh/t (doc 44–61)"
    );
}

#[test]
fn freeze_cycle_matches_the_freeze_time_equation() {
    let mut plant = Plant::new(PlantConfig::default(), 2);
    run(&mut plant, 30 * 3600);
    // The last completed cycle froze under the brine temperature of the preceding hours;
    // average it over one nominal cycle and compare with t = a² / (165.9 · (−T_brine)).
    let mut sum = 0.0;
    let samples = 17 * 3600;
    for _ in 0..samples {
        run(&mut plant, 1);
        sum += plant.brine().temperature_c;
    }
    let mean_brine = sum / samples as f64;
    let expected = freeze_time_hours(175.0, mean_brine).unwrap();
    let actual = plant.kpis().freeze_cycle_h.unwrap();
    assert!(
        (actual - expected).abs() / expected < 0.02,
        "{actual} h vs {expected} h"
    );
    assert!((8.0..=24.0).contains(&actual), "doc: 8–24 h typical");
}

fn brine_after(enabled: usize, setpoint: f64) -> f64 {
    // Eutectic brine (−21 °C) so the colder coils of more machines do not freeze it.
    let config = PlantConfig {
        brine_salinity_pct: 23.3,
        ..PlantConfig::default()
    };
    let mut plant = Plant::new(config, 3);
    plant.set_brine_setpoint(setpoint);
    for i in enabled..plant.compressors().len() {
        plant
            .set_compressor_enabled(i, false)
            .expect("index in range");
    }
    run(&mut plant, 12 * 3600);
    plant.brine().temperature_c
}

#[test]
fn more_compressors_give_colder_brine() {
    let (one, two, three) = (
        brine_after(1, -14.0),
        brine_after(2, -14.0),
        brine_after(3, -14.0),
    );
    assert!(
        one > two + 1.0 && two > three + 0.3,
        "1: {one}, 2: {two}, 3: {three}"
    );
    // At the normal setpoint two machines hold it and the third stays off.
    let (two, three) = (brine_after(2, -11.0), brine_after(3, -11.0));
    assert!(
        (two + 11.0).abs() < 0.3 && (three + 11.0).abs() < 0.3,
        "{two} {three}"
    );
}

#[test]
fn a_colder_setpoint_freezes_faster_and_stages_up() {
    let mut plant = warm_plant(4);
    let before = plant
        .compressors()
        .iter()
        .filter(|c| c.is_running())
        .count();
    plant.set_brine_setpoint(-14.0);
    run(&mut plant, 4 * 3600);
    let after = plant
        .compressors()
        .iter()
        .filter(|c| c.is_running())
        .count();
    assert!(after > before, "{before} → {after} compressors");
    assert!(plant.brine().temperature_c < -13.0);
}

#[test]
fn ambient_follows_the_day_and_drives_head_pressure() {
    let mut plant = Plant::new(PlantConfig::default(), 5);
    run(&mut plant, 4 * 3600);
    let (night_amb, night_p) = (
        plant.ambient_c(),
        signal(&plant, "Condenser/CondensingPressure"),
    );
    run(&mut plant, 11 * 3600);
    let (day_amb, day_p) = (
        plant.ambient_c(),
        signal(&plant, "Condenser/CondensingPressure"),
    );
    assert!(day_amb > night_amb + 4.0, "{night_amb} → {day_amb}");
    assert!(day_p > night_p + 1.0, "{night_p} → {day_p} bar(a)");
}

#[test]
fn large_steps_track_one_second_steps() {
    let mut fine = Plant::new(PlantConfig::default(), 6);
    let mut coarse = fine.clone();
    run(&mut fine, 3 * 3600);
    for _ in 0..3 {
        coarse.step(std::time::Duration::from_secs(3600));
    }
    assert_eq!(fine.elapsed(), coarse.elapsed());
    let (a, b) = (fine.brine().temperature_c, coarse.brine().temperature_c);
    assert!((a - b).abs() < 0.2, "{a} vs {b}");
}
