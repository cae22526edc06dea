//! Command round trips: DCMD writes move the plant, NCMD rebirth gives a new NBIRTH.

use std::time::Duration;

use sparkplug_b::Value;
use sparkplug_b::session::host::HostEvent;
use sparkplug_sim::SimEvent;

use crate::support::{MIXED, count, loopback, scenario};

/// tck-id-operational-behavior-data-commands-dcmd-metric-value: a DCMD to the brine setpoint
/// changes the plant model, and the new value comes back in DDATA.
#[test]
fn dcmd_setpoint_changes_the_plant() {
    let mut lb = loopback(scenario(MIXED, 5));
    lb.run_for(Duration::from_secs(5));
    let plant = lb.scenario().node_index("IcePlant", "Plant1").unwrap();
    assert_eq!(
        lb.scenario()
            .plant(plant)
            .unwrap()
            .config()
            .brine_setpoint_c,
        -11.0
    );
    lb.write_metric(
        "IcePlant",
        "Plant1",
        Some("BrineTank"),
        "Setpoint/Temperature",
        -14.5,
    )
    .unwrap();
    assert_eq!(
        lb.scenario()
            .plant(plant)
            .unwrap()
            .config()
            .brine_setpoint_c,
        -14.5
    );
    lb.write_metric("IcePlant", "Plant1", Some("Compressor2"), "Enabled", false)
        .unwrap();
    assert!(!lb.scenario().plant(plant).unwrap().compressors()[1].enabled);
    lb.write_metric("IcePlant", "Plant1", Some("BrineTank"), "AgitatorOn", false)
        .unwrap();
    lb.run_for(Duration::from_secs(2));
    let host = lb.host();
    assert_eq!(
        host.node_metric_value(
            "IcePlant",
            "Plant1",
            Some("BrineTank"),
            "Setpoint/Temperature"
        ),
        Some(&Value::Double(-14.5))
    );
    assert_eq!(
        host.node_metric_value("IcePlant", "Plant1", Some("Compressor2"), "Enabled"),
        Some(&Value::Boolean(false))
    );
    let applied = lb
        .take_sim_events()
        .iter()
        .filter(|e| matches!(e, SimEvent::CommandApplied { .. }))
        .count();
    assert_eq!(applied, 3);
}

/// Writes to read-only metrics are refused and change nothing.
#[test]
fn read_only_metrics_refuse_writes() {
    let mut lb = loopback(scenario(MIXED, 5));
    lb.run_for(Duration::from_secs(3));
    lb.write_metric("IcePlant", "Plant1", Some("BrineTank"), "Temperature", 5.0)
        .unwrap();
    lb.write_metric("Factory", "Line1", Some("Device1"), "Temp1", 5.0)
        .unwrap();
    let rejected = lb
        .take_sim_events()
        .iter()
        .filter(|e| matches!(e, SimEvent::CommandRejected { .. }))
        .count();
    assert_eq!(rejected, 2);
    assert_eq!(lb.scenario().counters().commands_applied, 0);
}

/// A writable generic metric takes the written value and reports it.
#[test]
fn dcmd_to_a_writable_generic_metric() {
    let mut lb = loopback(scenario(MIXED, 5));
    lb.run_for(Duration::from_secs(3));
    lb.write_metric("Factory", "Line1", Some("Device2"), "Speed", 42.0)
        .unwrap();
    lb.run_for(Duration::from_secs(3));
    assert_eq!(
        lb.host()
            .node_metric_value("Factory", "Line1", Some("Device2"), "Speed"),
        Some(&Value::Double(42.0))
    );
}

/// tck-id-operational-behavior-data-commands-rebirth-action-1: NCMD Node Control/Rebirth
/// gives a new NBIRTH and DBIRTHs with the same bdSeq.
#[test]
fn ncmd_rebirth_gives_a_new_nbirth() {
    let mut lb = loopback(scenario(MIXED, 5));
    lb.run_for(Duration::from_secs(3));
    lb.take_host_events();
    let before = lb
        .published()
        .iter()
        .filter(|(_, p)| p.topic.contains("/NBIRTH/Plant1"))
        .count();
    lb.request_rebirth("IcePlant", "Plant1").unwrap();
    lb.run_for(Duration::from_secs(1));
    let after = lb
        .published()
        .iter()
        .filter(|(_, p)| p.topic.contains("/NBIRTH/Plant1"))
        .count();
    assert_eq!(after, before + 1);
    let events = lb.take_host_events();
    let online: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match e {
            HostEvent::NodeOnline { bd_seq, .. } => Some(bd_seq.map(|b| b.value())),
            _ => None,
        })
        .collect();
    assert_eq!(online, [Some(0)]);
    assert!(count(&events, |e| matches!(e, HostEvent::DeviceOnline { .. })) >= 9);
}
