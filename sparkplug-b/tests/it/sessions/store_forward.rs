//! Store and forward (SPARKPLUG.md 2.6 and 3.7): values recorded while the edge node cannot
//! publish are sent as history after its next births.

use sparkplug_b::Quality;

use super::*;

/// tck-id-payloads-ndata-order, tck-id-payloads-ddata-order,
/// tck-id-operational-behavior-data-publish-nbirth-order (historical metrics are exempt from
/// it), SPARKPLUG.md 3.7 (`is_historical`: hosts do not update the live value): while the edge
/// node is disconnected, `set_metric` + `flush` go to store and forward; after the reconnect's
/// births the host receives every stored value with `is_historical = true` and its original
/// timestamp, in order, and its live value (from the NBIRTH) is not moved back by
/// them.
#[test]
fn values_stored_while_disconnected_follow_the_births_as_history() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(1));
    sim.report(None, "Temperature", 21.0);
    sim.advance(Duration::from_secs(1));
    sim.drop_connection(EDGE);
    sim.run_until_idle();
    sim.host_events();
    let away = sim.log().len();

    let mut recorded = Vec::new();
    for k in 1..=3u8 {
        sim.advance(Duration::from_secs(1));
        let t = sim.now();
        sim.report(None, "Temperature", 21.0 + f64::from(k));
        sim.report(Some(&pump()), "Speed", f32::from(k));
        recorded.push(t);
    }
    // The application's newest value, not flushed yet: the NBIRTH carries it.
    let now = sim.now();
    sim.edge()
        .set_metric(now, None, "Temperature", 30.0)
        .unwrap();
    assert!(publishes_since(&sim, EDGE, away).is_empty());
    assert_eq!(sim.edge().stored_len(), 6);

    sim.advance(Duration::from_secs(1));
    let back = sim.now();
    let mark = sim.log().len();
    sim.connect(EDGE);
    sim.run_until_idle();
    assert_eq!(sim.edge().stored_len(), 0);
    assert_eq!(
        topics_since(&sim, EDGE, mark),
        [NBIRTH, PUMP_DBIRTH, TANK_DBIRTH, NDATA, PUMP_DDATA]
    );
    let nbirth = last_payload(&sim, EDGE, NBIRTH);
    assert_eq!(
        nbirth.metric("Temperature").unwrap().value,
        Some(Value::Double(30.0))
    );
    let history = last_payload(&sim, EDGE, NDATA);
    assert_eq!(history.timestamp, Some(back.as_millis()));
    assert!(history.metrics.iter().all(|m| m.is_historical));

    let events = sim.host_events();
    assert!(violations(&events).is_empty());
    let got = batches(&events);
    let node_history = got
        .iter()
        .find(|b| b.message_type == MessageType::NData)
        .unwrap();
    let temperatures: Vec<(u64, Value, bool)> = node_history
        .metrics
        .iter()
        .map(|m| {
            (
                m.timestamp.unwrap(),
                m.value.clone().unwrap(),
                m.is_historical,
            )
        })
        .collect();
    assert_eq!(
        temperatures,
        [
            (recorded[0].as_millis(), Value::Double(22.0), true),
            (recorded[1].as_millis(), Value::Double(23.0), true),
            (recorded[2].as_millis(), Value::Double(24.0), true),
        ]
    );
    assert!(
        node_history
            .metrics
            .iter()
            .all(|m| m.name.as_deref() == Some("Temperature"))
    );
    let pump_history = got
        .iter()
        .find(|b| b.message_type == MessageType::DData)
        .unwrap();
    assert_eq!(pump_history.device, Some(pump()));
    assert_eq!(
        (pump_history.timestamp, pump_history.received_at),
        (Some(back.as_millis()), back)
    );
    let speeds: Vec<Value> = pump_history
        .metrics
        .iter()
        .map(|m| m.value.clone().unwrap())
        .collect();
    assert_eq!(
        speeds,
        [Value::Float(1.0), Value::Float(2.0), Value::Float(3.0)]
    );

    // The live values are the births', not the older history.
    let temperature = sim.host_metric(None, "Temperature");
    assert_eq!(temperature.value, Some(Value::Double(30.0)));
    assert_eq!(temperature.timestamp, Some(back.as_millis()));
    assert_eq!(temperature.quality, Quality::Good);
    let speed = sim.host_metric(Some(&pump()), "Speed");
    assert_eq!(speed.value, Some(Value::Float(3.0)));
    assert_eq!(speed.timestamp, Some(back.as_millis()));
    check_wire(&sim);
}

/// tck-id-operational-behavior-edge-node-birth-sequence-wait, SPARKPLUG.md 2.6 (store and
/// forward while the primary host is offline): connected but waiting for its primary host, the
/// edge node stores what it records; the host's return brings the births, then the history.
#[test]
fn values_stored_while_the_primary_host_is_offline_follow_its_return() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(1));
    let down = sim.now();
    sim.host().shutdown(down);
    sim.run_until_idle();
    sim.advance(Duration::from_secs(1));
    sim.connect(EDGE);
    sim.run_until_idle();
    assert_eq!(sim.edge().state(), EdgeState::AwaitingPrimaryHost);

    sim.advance(Duration::from_secs(1));
    let recorded = sim.now();
    let mark = sim.log().len();
    sim.report(Some(&tank()), "Level", 40u16);
    sim.report(Some(&tank()), "Level", 41u16);
    assert!(publishes_since(&sim, EDGE, mark).is_empty());
    assert_eq!(sim.edge().stored_len(), 2);

    sim.advance(Duration::from_secs(1));
    sim.connect(HOST);
    sim.run_until_idle();
    assert_eq!(
        topics_since(&sim, EDGE, mark),
        [NBIRTH, PUMP_DBIRTH, TANK_DBIRTH, TANK_DDATA]
    );
    let events = sim.host_events();
    assert!(violations(&events).is_empty());
    let history = batches(&events).pop().unwrap();
    assert_eq!(history.device, Some(tank()));
    let levels: Vec<(Value, Option<u64>, bool)> = history
        .metrics
        .iter()
        .map(|m| (m.value.clone().unwrap(), m.timestamp, m.is_historical))
        .collect();
    assert_eq!(
        levels,
        [
            (Value::UInt16(40), Some(recorded.as_millis()), true),
            (Value::UInt16(41), Some(recorded.as_millis()), true)
        ]
    );
    assert_eq!(
        sim.host_metric(Some(&tank()), "Level").value,
        Some(Value::UInt16(41))
    );
    check_wire(&sim);
}
