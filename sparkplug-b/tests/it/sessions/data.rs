//! Sending data (TCK edge `SendDataTest`, `SendComplexDataTest`): NDATA and DDATA by alias,
//! typed on the host through the births, one seq counter for the node and its devices.

use sparkplug_b::Quality;

use super::*;

/// tck-id-topics-ndata-topic, tck-id-topics-ndata-mqtt, tck-id-topics-ndata-seq-num,
/// tck-id-topics-ndata-timestamp, tck-id-topics-ndata-payload, tck-id-topics-ddata-topic,
/// tck-id-topics-ddata-mqtt, tck-id-topics-ddata-seq-num, tck-id-topics-ddata-timestamp,
/// tck-id-topics-ddata-payload, tck-id-payloads-alias-data-cmd-requirement,
/// tck-id-payloads-metric-datatype-not-req, tck-id-payloads-name-birth-data-requirement,
/// tck-id-operational-behavior-data-publish-nbirth-change: `set_metric` + `flush` put only the
/// changed metrics on the wire, by alias alone, without datatype; the host names them and reads
/// each value as its birth datatype (a negative Int8, a UInt32 above `i32::MAX`, a Float, a
/// Boolean, a String, an Int16Array).
#[test]
fn data_goes_by_alias_and_arrives_named_and_typed() {
    let mut sim = online_pair();
    let mark = sim.log().len();
    sim.advance(Duration::from_millis(100));
    sim.report(None, "Offset", -5i8);
    sim.report(None, "Counter", 4_000_000_000u32);
    sim.report(Some(&pump()), "Speed", 12.5f32);
    sim.report(Some(&pump()), "Running", true);
    sim.report(None, "Label", "batch 7");
    sim.report(Some(&tank()), "Profile", vec![-3i16, 0, 300]);
    // Two changes in one flush: one NDATA with both.
    let now = sim.now();
    sim.edge()
        .set_metric(now, None, "Temperature", 21.25)
        .unwrap();
    sim.edge().set_metric(now, None, "Offset", -128i8).unwrap();
    // Unchanged: not reported again (report by exception).
    sim.edge()
        .set_metric(now, Some(&pump()), "Running", true)
        .unwrap();
    sim.edge().flush(now);
    sim.run_until_idle();

    assert_eq!(
        topics_since(&sim, EDGE, mark),
        [
            NDATA, NDATA, PUMP_DDATA, PUMP_DDATA, NDATA, TANK_DDATA, NDATA
        ]
    );
    for publish in publishes_since(&sim, EDGE, mark) {
        let payload = decode(&publish.payload);
        assert_eq!(payload.timestamp, Some(now.as_millis()));
        for metric in &payload.metrics {
            assert_eq!(metric.name, None, "{}: alias only", publish.topic);
            assert!(metric.alias.is_some());
            assert_eq!(metric.datatype, None, "no datatype in data");
            assert_eq!(metric.timestamp, Some(now.as_millis()));
        }
    }
    let last = last_payload(&sim, EDGE, NDATA);
    assert_eq!(last.metrics.len(), 2);

    let events = sim.host_events();
    assert!(violations(&events).is_empty(), "{events:?}");
    let got = batches(&events);
    let seqs: Vec<Option<u8>> = got.iter().map(|b| b.seq).collect();
    assert_eq!(seqs, (3..=9).map(Some).collect::<Vec<_>>());
    assert!(got.iter().all(|b| !b.out_of_sequence));
    assert_eq!(*got[0].value("Offset"), Value::Int8(-5));
    assert_eq!(*got[1].value("Counter"), Value::UInt32(4_000_000_000));
    assert_eq!(got[2].device, Some(pump()));
    assert_eq!(got[2].message_type, MessageType::DData);
    assert_eq!(*got[2].value("Speed"), Value::Float(12.5));
    assert_eq!(*got[3].value("Running"), Value::Boolean(true));
    assert_eq!(*got[4].value("Label"), Value::String("batch 7".into()));
    assert_eq!(got[5].device, Some(tank()));
    assert_eq!(
        *got[5].value("Profile"),
        Value::Int16Array(vec![-3, 0, 300])
    );
    assert_eq!(*got[6].value("Temperature"), Value::Double(21.25));
    assert_eq!(*got[6].value("Offset"), Value::Int8(-128));
    assert!(
        got.iter()
            .flat_map(|b| &b.metrics)
            .all(|m| m.datatype.is_some() && !m.is_historical)
    );

    // The host's view holds the last live values, GOOD, with the edge's timestamps.
    let offset = sim.host_metric(None, "Offset");
    assert_eq!(offset.value, Some(Value::Int8(-128)));
    assert_eq!(offset.timestamp, Some(now.as_millis()));
    assert_eq!(offset.quality, Quality::Good);
    assert_eq!(
        sim.host_metric(None, "Label").value,
        Some(Value::String("batch 7".into()))
    );
    assert_eq!(
        sim.host_metric(Some(&pump()), "Speed").value,
        Some(Value::Float(12.5))
    );
    check_wire(&sim);
}

/// tck-id-payloads-sequence-num-incrementing, tck-id-payloads-ndata-seq-inc,
/// tck-id-payloads-ddata-seq-inc, tck-id-topics-ndata-seq-num, tck-id-topics-ddata-seq-num,
/// tck-id-payloads-sequence-num-always-included: NDATA and DDATA of the node and two devices
/// share one seq counter; over 300 messages it wraps from 255 to 0 and the host follows it
/// without a gap, a hold or a rebirth request.
#[test]
fn one_seq_counter_for_node_and_devices_wraps_without_a_gap() {
    let mut sim = online_pair();
    let mark = sim.log().len();
    for i in 0..300u32 {
        sim.advance(Duration::from_millis(10));
        // Each value differs from the metric's last one, so each flush publishes.
        match i % 3 {
            0 => sim.report(None, "Counter", 1000 + i),
            1 => sim.report(Some(&pump()), "Setpoint", -(i as i32)),
            _ => sim.report(Some(&tank()), "Level", i as u16),
        }
        assert_eq!(sim.host_node().held_messages(), 0);
    }

    let seqs: Vec<u64> = publishes_since(&sim, EDGE, mark)
        .iter()
        .map(|p| decode(&p.payload).seq.unwrap())
        .collect();
    assert_eq!(seqs.len(), 300);
    let wrap = seqs.iter().position(|&s| s == 255).unwrap();
    assert_eq!(seqs[wrap + 1], 0, "255 is followed by 0");
    assert_eq!(seqs[0], 3, "after NBIRTH 0 and two DBIRTHs");

    let events = sim.host_events();
    assert!(violations(&events).is_empty());
    assert_eq!(rebirth_requests(&events), 0);
    let got = batches(&events);
    assert_eq!(got.len(), 300);
    for (i, batch) in got.iter().enumerate() {
        assert_eq!(u64::from(batch.seq.unwrap()), (3 + i as u64) % 256);
        assert!(!batch.out_of_sequence);
        let expected = match i % 3 {
            0 => ("Counter", None, Value::UInt32(1000 + i as u32)),
            1 => ("Setpoint", Some(pump()), Value::Int32(-(i as i32))),
            _ => ("Level", Some(tank()), Value::UInt16(i as u16)),
        };
        assert_eq!(batch.device, expected.1);
        assert_eq!(*batch.value(expected.0), expected.2);
    }
    assert_eq!(
        sim.host_node().expected_seq().map(|s| s.value()),
        Some(((3 + 300) % 256) as u8)
    );
    assert_eq!(
        sim.host_metric(None, "Counter").value,
        Some(Value::UInt32(1297))
    );
    assert_eq!(
        sim.host_metric(Some(&pump()), "Setpoint").value,
        Some(Value::Int32(-298))
    );
    assert_eq!(
        sim.host_metric(Some(&tank()), "Level").value,
        Some(Value::UInt16(299))
    );
    check_wire(&sim);
}
