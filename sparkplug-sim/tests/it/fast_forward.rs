//! Fast-forward: an hour of plant on the simulated clock, stamped with simulated time.

use std::time::Duration;

use sparkplug_b::session::host::HostEvent;
use sparkplug_b::topic::MessageType;

use crate::support::{T0, loopback, scenario};

const PLANT: &str = "[[plant]]\ngroup = \"IcePlant\"\nnode = \"Plant1\"\nperiod_ms = 10000\n";

/// An hour of simulated time without waiting for it: 360 reports per device,
/// metric timestamps spanning the hour, and the plant's energy meter moving.
#[test]
fn an_hour_of_plant_in_fast_forward() {
    let mut lb = loopback(scenario(PLANT, 2));
    lb.run_for(Duration::from_secs(3600));
    let events = lb.take_host_events();
    let stamps: Vec<u64> = events
        .iter()
        .filter_map(|(_, e)| match e {
            HostEvent::Metrics {
                message_type: MessageType::DData,
                device: Some(d),
                timestamp,
                ..
            } if d.as_str() == "PowerMeter" => *timestamp,
            _ => None,
        })
        .collect();
    assert!(
        (355..=360).contains(&stamps.len()),
        "{} PowerMeter reports",
        stamps.len()
    );
    assert!(stamps.first().is_some_and(|t| *t <= T0 + 20_000));
    assert!(stamps.last().is_some_and(|t| *t >= T0 + 3_590_000));
    let energy = lb
        .host()
        .node_metric_value("IcePlant", "Plant1", Some("PowerMeter"), "Energy");
    let kwh = energy.and_then(|v| v.as_f64()).unwrap();
    assert!(kwh > 50.0, "{kwh} kWh in an hour");
    let plant = lb.scenario().plant(0).unwrap();
    assert_eq!(plant.elapsed(), Duration::from_secs(3600));
}
