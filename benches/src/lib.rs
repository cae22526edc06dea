//! Representative Sparkplug B payloads for the criterion benchmarks in `benches/` (and for
//! tests and later pipeline benchmarks): what an ice plant's edge node publishes.
//!
//! - [`ice_plant_ndata`]: a routine NDATA, 20 metrics addressed by alias only.
//! - [`ice_plant_dbirth`]: a large DBIRTH, 200 named metrics with aliases, datatypes and
//!   engineering-unit properties.
//!
//! Both are deterministic: the same call gives the same payload and the same bytes.

use sparkplug_b::{Metric, Payload, PropertySet, PropertyValue, Value};

pub mod host_stream;

/// Publish time of [`ice_plant_ndata`], milliseconds since the Unix epoch (2023-11-14, UTC).
pub const NDATA_TIMESTAMP: u64 = 1_700_000_123_456;

/// Publish time of [`ice_plant_dbirth`], milliseconds since the Unix epoch.
pub const DBIRTH_TIMESTAMP: u64 = 1_700_000_000_000;

/// The number of metrics in [`ice_plant_ndata`].
pub const NDATA_METRICS: usize = 20;

/// The number of metrics in [`ice_plant_dbirth`].
pub const DBIRTH_METRICS: usize = 200;

/// An ice plant NDATA as an edge node publishes it: 20 metrics addressed by alias only (no
/// name, no datatype: the Sparkplug data-message form), each with its own acquisition
/// timestamp, and the payload's timestamp and seq set.
///
/// Values are mixed as a plant's are: mostly Double (brine temperatures, pressures, kW,
/// ammonia ppm), some Float, Int32 and UInt32 counters, three Booleans and one Int64.
///
/// Decoded without its birth, the Int32 and Int64 values come back as the natural types of
/// their wire fields (UInt32 and UInt64); everything else comes back as built.
pub fn ice_plant_ndata() -> Payload {
    let values: [(u64, Value); NDATA_METRICS] = [
        // Brine loop and refrigeration circuit.
        (1, Value::Double(-8.625)),        // Brine/Supply Temp, degC
        (2, Value::Double(-5.9125)),       // Brine/Return Temp, degC
        (3, Value::Double(1.834)),         // Compressor 1/Suction Pressure, bar
        (4, Value::Double(12.41)),         // Compressor 1/Discharge Pressure, bar
        (5, Value::Double(182.73)),        // Compressor 1/Power, kW
        (6, Value::Double(22.315)),        // Condenser 1/Fan Power, kW
        (7, Value::Double(3.2)),           // Ammonia Detector 4/Concentration, ppm
        (8, Value::Double(86.42)),         // Brine/Flow, m3/h
        (9, Value::Double(0.82)),          // Tank 3/Water Temp, degC
        (10, Value::Float(312.5)),         // Compressor 1/Motor Current, A
        (11, Value::Float(3.85)),          // Compressor 1/Oil Pressure, bar
        (12, Value::Float(2.17)),          // Compressor 1/Vibration, mm/s
        (13, Value::Int32(1475)),          // Brine Pump 1/Speed, rpm
        (14, Value::Int32(-12)),           // Tank 3/Harvest Cycle Offset, min
        (15, Value::UInt32(1_342)),        // Tank 3/Cans Harvested Today
        (16, Value::UInt32(18_734)),       // Compressor 1/Starts
        (17, Value::Boolean(true)),        // Compressor 1/Running
        (18, Value::Boolean(true)),        // Tank 3/Agitator On
        (19, Value::Boolean(false)),       // Condenser 1/Spray Pump On
        (20, Value::Int64(4_827_113_562)), // Plant/Total Energy, Wh
    ];
    let mut payload = Payload::new(NDATA_TIMESTAMP).with_seq(42);
    payload.metrics = values
        .into_iter()
        .enumerate()
        // Scanned over the last second or so, a few tens of milliseconds apart.
        .map(|(i, (alias, value))| {
            Metric::aliased(alias, value).with_timestamp(NDATA_TIMESTAMP - 950 + 47 * i as u64)
        })
        .collect();
    payload
}

/// A large ice plant DBIRTH: 200 named metrics, each with a unique alias (1..=200), its
/// datatype and the birth timestamp; the analog ones (Double and Float) carry the `engUnit`
/// (String), `engLow` and `engHigh` (Double) properties. Seq is set.
///
/// The metrics: 4 compressors of 12, 8 brine tanks of 10, 3 condensers of 7, 12 ammonia
/// detectors of 4, and 3 plant-wide metrics; Double, Float, Int32, UInt32, Int64, Boolean and
/// String values.
pub fn ice_plant_dbirth() -> Payload {
    let mut b = Birth {
        metrics: Vec::with_capacity(DBIRTH_METRICS),
    };
    for c in 1..=4u32 {
        let k = f64::from(c);
        let at = |what: &str| format!("Compressor {c}/{what}");
        b.analog(at("Suction Pressure"), 1.80 + 0.03 * k, "bar", -1.0, 10.0);
        b.analog(at("Discharge Pressure"), 12.2 + 0.11 * k, "bar", 0.0, 25.0);
        b.analog(at("Discharge Temp"), 78.4 + 1.7 * k, "degC", -20.0, 150.0);
        b.analog(at("Power"), 175.0 + 4.25 * k, "kW", 0.0, 400.0);
        b.analog(
            at("Oil Pressure"),
            3.8f32 + 0.05 * c as f32,
            "bar",
            0.0,
            10.0,
        );
        b.analog(
            at("Motor Current"),
            305.5f32 + 2.5 * c as f32,
            "A",
            0.0,
            600.0,
        );
        b.analog(at("Vibration"), 2.1f32 + 0.07 * c as f32, "mm/s", 0.0, 25.0);
        b.plain(at("Running"), c != 4);
        b.plain(at("Starts"), 18_700 + 37 * c);
        b.plain(at("Slide Valve Position"), 60 + 5 * c as i32);
        b.plain(at("Run Time"), 81_234_567_i64 + 1_000_003 * i64::from(c));
        b.plain(at("Model"), "Frick RWF II 270");
    }
    for t in 1..=8u32 {
        let k = f64::from(t);
        let at = |what: &str| format!("Tank {t}/{what}");
        b.analog(
            at("Brine Supply Temp"),
            -8.9 + 0.05 * k,
            "degC",
            -30.0,
            20.0,
        );
        b.analog(
            at("Brine Return Temp"),
            -6.1 + 0.04 * k,
            "degC",
            -30.0,
            20.0,
        );
        b.analog(at("Salinity"), 23.2 - 0.1 * k, "%", 0.0, 30.0);
        b.analog(at("Level"), 91.5f32 - 0.3 * t as f32, "%", 0.0, 100.0);
        b.analog(
            at("Agitator Current"),
            18.4f32 + 0.2 * t as f32,
            "A",
            0.0,
            50.0,
        );
        b.plain(at("Agitator On"), t % 3 != 0);
        b.plain(at("Cans Harvested Today"), 1_300 + 7 * t);
        b.plain(at("Harvest Cycle Offset"), 3 * t as i32 - 14);
        b.plain(at("Brine Pump Speed"), 1_450 + 5 * t as i32);
        b.plain(
            at("Harvest State"),
            if t % 2 == 0 { "Freezing" } else { "Thawing" },
        );
    }
    for c in 1..=3u32 {
        let k = f64::from(c);
        let at = |what: &str| format!("Condenser {c}/{what}");
        b.analog(at("Fan Power"), 21.9 + 0.4 * k, "kW", 0.0, 45.0);
        b.analog(at("Water In Temp"), 24.1 + 0.2 * k, "degC", 0.0, 50.0);
        b.analog(at("Water Out Temp"), 29.8 + 0.2 * k, "degC", 0.0, 50.0);
        b.analog(at("Ambient Temp"), 24.6 + 0.1 * k, "degC", -30.0, 55.0);
        b.plain(at("Fan Running"), true);
        b.plain(at("Fan Speed"), 70 + 10 * c as i32);
        b.plain(at("Spray Pump On"), c == 2);
    }
    for d in 1..=12u32 {
        let at = |what: &str| format!("Ammonia Detector {d}/{what}");
        b.analog(
            at("Concentration"),
            1.5 + 0.35 * f64::from(d),
            "ppm",
            0.0,
            500.0,
        );
        b.plain(at("Alarm"), false);
        b.plain(at("Faults"), d % 4);
        b.plain(at("Status"), if d == 7 { "Calibration Due" } else { "OK" });
    }
    b.plain("Plant/Total Energy".to_owned(), 4_827_113_562_i64);
    b.analog(
        "Plant/Ice Produced Today".to_owned(),
        186.25,
        "t",
        0.0,
        400.0,
    );
    b.plain("Plant/Shift Supervisor".to_owned(), "M. Okafor");

    let mut payload = Payload::new(DBIRTH_TIMESTAMP).with_seq(1);
    payload.metrics = b.metrics;
    payload
}

/// Builds birth metrics with consecutive aliases from 1.
struct Birth {
    metrics: Vec<Metric>,
}

impl Birth {
    fn plain(&mut self, name: String, value: impl Into<Value>) {
        let alias = self.metrics.len() as u64 + 1;
        self.metrics.push(
            Metric::new(name, value)
                .with_alias(alias)
                .with_timestamp(DBIRTH_TIMESTAMP),
        );
    }

    fn analog(&mut self, name: String, value: impl Into<Value>, unit: &str, low: f64, high: f64) {
        self.plain(name, value);
        let properties = PropertySet::new()
            .with("engUnit", PropertyValue::new(unit))
            .with("engLow", PropertyValue::new(low))
            .with("engHigh", PropertyValue::new(high));
        if let Some(metric) = self.metrics.last_mut() {
            metric.properties = Some(properties);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkplug_b::DataType;
    use sparkplug_b::topic::MessageType;
    use sparkplug_b::validate::validate;

    fn count(payload: &Payload, datatype: DataType) -> usize {
        payload
            .metrics
            .iter()
            .filter(|m| m.value.as_ref().map(Value::data_type) == Some(datatype))
            .count()
    }

    #[test]
    fn ndata_shape() {
        let p = ice_plant_ndata();
        assert_eq!(p.metrics.len(), NDATA_METRICS);
        assert_eq!((p.timestamp, p.seq), (Some(NDATA_TIMESTAMP), Some(42)));
        for m in &p.metrics {
            assert!(m.name.is_none() && m.datatype.is_none() && m.properties.is_none());
            assert!(m.alias.is_some() && m.timestamp.is_some() && m.value.is_some());
        }
        assert_eq!(count(&p, DataType::Double), 9);
        assert_eq!(count(&p, DataType::Float), 3);
        assert_eq!(count(&p, DataType::Int32), 2);
        assert_eq!(count(&p, DataType::UInt32), 2);
        assert_eq!(count(&p, DataType::Boolean), 3);
        assert_eq!(count(&p, DataType::Int64), 1);
        assert_eq!(validate(MessageType::NData, &p), Ok(()));
    }

    #[test]
    fn dbirth_shape() {
        let p = ice_plant_dbirth();
        assert_eq!(p.metrics.len(), DBIRTH_METRICS);
        assert_eq!((p.timestamp, p.seq), (Some(DBIRTH_TIMESTAMP), Some(1)));
        for (i, m) in p.metrics.iter().enumerate() {
            assert!(m.name.is_some() && m.datatype.is_some() && m.timestamp.is_some());
            assert_eq!(m.alias, Some(i as u64 + 1));
            let analog = matches!(m.datatype, Some(DataType::Double | DataType::Float));
            let props = m.properties.as_ref();
            assert_eq!(
                props.map(PropertySet::len),
                analog.then_some(3),
                "{:?}",
                m.name
            );
            if let Some(props) = props {
                assert!(
                    props
                        .get("engUnit")
                        .and_then(|v| v.value.as_ref()?.as_str())
                        .is_some()
                );
                assert_eq!(
                    props.get("engLow").and_then(|v| v.datatype),
                    Some(DataType::Double)
                );
                assert_eq!(
                    props.get("engHigh").and_then(|v| v.datatype),
                    Some(DataType::Double)
                );
            }
        }
        for datatype in [
            DataType::Double,
            DataType::Float,
            DataType::Int32,
            DataType::UInt32,
            DataType::Int64,
            DataType::Boolean,
            DataType::String,
        ] {
            assert!(count(&p, datatype) > 0, "no {datatype:?} metric");
        }
        assert!(count(&p, DataType::Double) > DBIRTH_METRICS / 4);
        assert_eq!(validate(MessageType::DBirth, &p), Ok(()));
    }

    #[test]
    fn dbirth_round_trips() {
        let p = ice_plant_dbirth();
        let bytes = p.encode_to_vec().expect("encodes");
        assert_eq!(Payload::decode(&bytes).expect("decodes"), p);
    }

    /// Without datatypes, Int32 and Int64 come back as UInt32 and UInt64 (the natural types of
    /// `int_value` and `long_value`); read as the original types they are the values sent.
    #[test]
    fn ndata_round_trips() {
        let p = ice_plant_ndata();
        let bytes = p.encode_to_vec().expect("encodes");
        let decoded = Payload::decode(&bytes).expect("decodes");
        assert_eq!(decoded.encode_to_vec().expect("re-encodes"), bytes);
        let mut typed = decoded.clone();
        for (m, original) in typed.metrics.iter_mut().zip(&p.metrics) {
            let datatype = original
                .value
                .as_ref()
                .map(Value::data_type)
                .expect("has a value");
            m.value = m
                .value
                .take()
                .map(|v| v.reinterpret(datatype).expect("fits"));
        }
        assert_eq!(typed, p);
        assert_eq!(
            decoded.metrics[13].value,
            Some(Value::UInt32(-12i32 as u32))
        );
    }

    #[test]
    fn deterministic() {
        assert_eq!(ice_plant_ndata(), ice_plant_ndata());
        assert_eq!(ice_plant_dbirth(), ice_plant_dbirth());
    }
}
