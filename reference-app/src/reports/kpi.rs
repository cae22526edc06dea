//! The ice plant KPIs of ICE_PLANT.md section 4, per plant (edge node) and window.
//!
//! A plant is an edge node with `CanGrid` and `BrineTank` devices (as `sparkplug-sim` names
//! them). Counters (tonnes harvested, blocks, kWh, compressor starts) give their increase over
//! the window as last minus first sample in it; time-weighted figures (compressor duty, brine
//! time in band, ammonia exposure) hold each sample's value until the next one, which is what
//! report-by-exception data means.

use serde_json::{Map, Value as Json, json};
use spark_sink::{EventFilter, QueryError, ReportRow, Source, Store, TimeRange};
use sparkplug_b::Value;

use crate::config::JobConfig;

/// The brine band a plant should hold, °C (ICE_PLANT.md: −10 to −12 °C).
const BRINE_BAND_C: (f64, f64) = (-12.5, -9.5);
/// The first ammonia alarm level, ppm.
const AMMONIA_ALARM_PPM: f64 = 25.0;

/// A metric's samples in the window as (ms, number); non-numeric and null samples skipped.
async fn series(
    store: &dyn Store,
    source: &Source,
    metric: &str,
    window: TimeRange,
) -> Result<Vec<(i64, f64)>, QueryError> {
    let rows = store.history(source, metric, window, 100_000).await?;
    Ok(rows
        .into_iter()
        // A sample outside the acceptance window is not a real-time reading of this window.
        .filter(|r| !r.outside_window)
        .filter_map(|r| Some((r.timestamp_ms, number(r.value.as_ref()?)?)))
        .collect())
}

fn number(value: &Value) -> Option<f64> {
    Some(match value {
        Value::Int8(v) => f64::from(*v),
        Value::Int16(v) => f64::from(*v),
        Value::Int32(v) => f64::from(*v),
        Value::Int64(v) => *v as f64,
        Value::UInt8(v) => f64::from(*v),
        Value::UInt16(v) => f64::from(*v),
        Value::UInt32(v) => f64::from(*v),
        Value::UInt64(v) => *v as f64,
        Value::Float(v) => f64::from(*v),
        Value::Double(v) => *v,
        Value::Boolean(v) => f64::from(u8::from(*v)),
        _ => return None,
    })
}

/// Increase of a counter over the series (never negative: a reset counts from zero).
fn increase(series: &[(i64, f64)]) -> Option<f64> {
    let mut total = 0.0;
    for pair in series.windows(2) {
        let d = pair[1].1 - pair[0].1;
        total += if d >= 0.0 { d } else { pair[1].1 };
    }
    (series.len() >= 2).then_some(total)
}

/// The fraction of the window's covered time in which `pred` held, each sample holding until
/// the next (the last until the window's end). `None` without samples.
fn time_fraction(
    series: &[(i64, f64)],
    end_ms: i64,
    pred: impl Fn(f64) -> bool,
) -> Option<(f64, i64)> {
    let first = series.first()?.0;
    let mut inside = 0i64;
    for (i, &(t, v)) in series.iter().enumerate() {
        let next = series.get(i + 1).map_or(end_ms, |s| s.0);
        if pred(v) {
            inside += (next - t).max(0);
        }
    }
    let covered = (end_ms - first).max(1);
    Some((inside as f64 / covered as f64, inside))
}

fn mean(series: &[(i64, f64)]) -> Option<f64> {
    (!series.is_empty()).then(|| series.iter().map(|s| s.1).sum::<f64>() / series.len() as f64)
}

/// The rows of one window: one per plant, keyed `group/node`.
pub(super) async fn window(
    store: &dyn Store,
    job: &JobConfig,
    window: TimeRange,
) -> Result<Vec<ReportRow>, QueryError> {
    let mut rows = Vec::new();
    for node in store.nodes().await? {
        let devices = store.devices(&node.group, &node.node).await?;
        let has = |name: &str| devices.iter().any(|d| d.device == name);
        if !(has("CanGrid") && has("BrineTank")) {
            continue;
        }
        let dev = |name: &str| Source::device(node.group.clone(), node.node.clone(), name);
        let mut f = Map::new();

        let tonnes = increase(&series(store, &dev("CanGrid"), "TonnesHarvested", window).await?);
        let blocks = increase(&series(store, &dev("CanGrid"), "BlocksHarvested", window).await?);
        let kwh = increase(&series(store, &dev("PowerMeter"), "Energy", window).await?);
        f.insert("ice_tonnes".into(), json!(tonnes));
        f.insert("blocks".into(), json!(blocks));
        f.insert("energy_kwh".into(), json!(kwh));
        let specific = match (kwh, tonnes) {
            (Some(k), Some(t)) if t > 0.0 => Some(k / t),
            _ => None,
        };
        f.insert("specific_energy_kwh_per_t".into(), json!(specific));

        let (mut duty_sum, mut duty_n, mut starts) = (0.0, 0u32, 0.0);
        let mut compressors: Vec<&str> = devices
            .iter()
            .map(|d| d.device.as_str())
            .filter(|d| d.starts_with("Compressor"))
            .collect();
        compressors.sort_unstable();
        for c in &compressors {
            let running = series(store, &dev(c), "Running", window).await?;
            if let Some((fraction, _)) = time_fraction(&running, window.to_ms, |v| v > 0.5) {
                duty_sum += fraction;
                duty_n += 1;
            }
            starts += increase(&series(store, &dev(c), "Starts", window).await?).unwrap_or(0.0);
        }
        f.insert("compressors".into(), json!(compressors.len()));
        f.insert(
            "compressor_duty".into(),
            json!((duty_n > 0).then(|| duty_sum / f64::from(duty_n))),
        );
        f.insert("compressor_starts".into(), json!(starts));

        let brine = series(store, &dev("BrineTank"), "Temperature", window).await?;
        let in_band = time_fraction(&brine, window.to_ms, |v| {
            (BRINE_BAND_C.0..=BRINE_BAND_C.1).contains(&v)
        });
        f.insert("brine_avg_c".into(), json!(mean(&brine)));
        f.insert("brine_in_band".into(), json!(in_band.map(|b| b.0)));

        let (mut ppm_max, mut exposure_ms) = (None::<f64>, 0i64);
        for d in devices.iter().filter(|d| d.device.starts_with("Ammonia")) {
            let ppm = series(store, &dev(&d.device), "Concentration", window).await?;
            for &(_, v) in &ppm {
                ppm_max = Some(ppm_max.map_or(v, |m| m.max(v)));
            }
            exposure_ms +=
                time_fraction(&ppm, window.to_ms, |v| v >= AMMONIA_ALARM_PPM).map_or(0, |x| x.1);
        }
        f.insert("ammonia_max_ppm".into(), json!(ppm_max));
        f.insert(
            "ammonia_alarm_minutes".into(),
            json!(exposure_ms as f64 / 60_000.0),
        );

        let node_source = Source::node(node.group.clone(), node.node.clone());
        let alarms = series(store, &node_source, "ActiveAlarms", window).await?;
        let raised: f64 = alarms.windows(2).map(|p| (p[1].1 - p[0].1).max(0.0)).sum();
        f.insert("alarms_raised".into(), json!(raised));

        // Data completeness: how much of the window the node was online, and its seq gaps.
        let filter = |kind: &str| EventFilter {
            kind: Some(kind.to_owned()),
            group: Some(node.group.clone()),
            node: Some(node.node.clone()),
            range: Some(window),
            limit: Some(10_000),
            offset: None,
        };
        let gaps = store.events(&filter("seq_gap")).await?.len();
        let offline = store.events(&filter("offline")).await?.len();
        f.insert("seq_gaps".into(), json!(gaps));
        f.insert("node_deaths".into(), json!(offline));
        let sampled = brine.len() as u64;
        f.insert("brine_samples".into(), json!(sampled));

        rows.push(ReportRow {
            job: job.name.clone(),
            key: format!("{}/{}", node.group, node.node),
            window_start_ms: window.from_ms,
            window_end_ms: window.to_ms,
            fields: Json::Object(f),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_increase_survives_a_reset() {
        // 1 -> 3 (+2), reset to 0.5 (+0.5 from zero), -> 1.5 (+1).
        assert_eq!(
            increase(&[(0, 1.0), (1, 3.0), (2, 0.5), (3, 1.5)]),
            Some(3.5)
        );
        assert_eq!(increase(&[(0, 1.0)]), None);
    }

    #[test]
    fn each_sample_holds_until_the_next() {
        // On for 30 s, off for 60 s, on for the last 10 s of a 100 s window.
        let s = [(0, 1.0), (30_000, 0.0), (90_000, 1.0)];
        let (fraction, inside) = time_fraction(&s, 100_000, |v| v > 0.5).unwrap();
        assert_eq!(inside, 40_000);
        assert!((fraction - 0.4).abs() < 1e-9);
        assert!(time_fraction(&[], 1, |_| true).is_none());
    }
}
