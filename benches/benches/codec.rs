//! Codec benchmarks: the typed decoder, the borrowed read path and the encoder of
//! `sparkplug-b`, each next to raw prost on the same bytes, for an ice plant NDATA (20
//! aliased metrics) and DBIRTH (200 named metrics with properties).
//!
//! Every benchmark runs in two groups per payload, `<payload>/bytes` (MB/s) and
//! `<payload>/metrics` (elements/s, one element per metric).
//!
//! Run with `cargo bench -p benches --bench codec`.

use std::hint::black_box;
use std::time::Duration;

use benches::{ice_plant_dbirth, ice_plant_ndata};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use sparkplug_b::{DecodeError, EncodeOptions, Payload, PayloadView, ValueRef, proto};

/// A payload in every form the benchmarks start from.
struct Case {
    name: &'static str,
    payload: Payload,
    bytes: Vec<u8>,
    wire: proto::Payload,
}

impl Case {
    fn new(name: &'static str, payload: Payload) -> Self {
        let bytes = payload
            .encode_to_vec()
            .expect("the benchmark payload encodes");
        let wire = payload
            .to_wire(&EncodeOptions::default())
            .expect("the benchmark payload converts");
        assert_eq!(
            wire.encode_to_vec(),
            bytes,
            "prost and sparkplug-b encode {name} alike"
        );
        assert_eq!(
            view_read(&bytes),
            view_read(&bytes),
            "{name} reads in place"
        );
        Case {
            name,
            payload,
            bytes,
            wire,
        }
    }
}

/// The host's borrowed read path: alias, timestamp and value of every metric, folded into a
/// checksum so that nothing read is optimised away.
fn view_read(bytes: &[u8]) -> Result<u64, DecodeError> {
    let view = PayloadView::new(bytes)?;
    let mut sum = view.seq().unwrap_or(0);
    for metric in view.metrics() {
        let metric = metric?;
        let value = match metric.value() {
            Some(ValueRef::Double(x)) => x.to_bits(),
            Some(ValueRef::Float(x)) => x.to_bits().into(),
            Some(ValueRef::Int(x)) => x.into(),
            Some(ValueRef::Long(x)) => x,
            Some(ValueRef::Boolean(x)) => x.into(),
            Some(ValueRef::String(s)) => s.len() as u64,
            Some(_) => 1,
            None => 0,
        };
        sum = sum.rotate_left(5)
            ^ metric.alias().unwrap_or(0)
            ^ metric.timestamp().unwrap_or(0).wrapping_mul(31)
            ^ value;
    }
    Ok(sum)
}

fn bench_case(c: &mut Criterion, case: &Case) {
    let metrics = case.payload.metrics.len() as u64;
    let throughputs = [
        ("bytes", Throughput::Bytes(case.bytes.len() as u64)),
        ("metrics", Throughput::Elements(metrics)),
    ];
    for (unit, throughput) in throughputs {
        let mut group = c.benchmark_group(format!("{}/{unit}", case.name));
        group.throughput(throughput);
        let bytes = case.bytes.as_slice();

        group.bench_function("typed_decode", |b| {
            b.iter(|| black_box(Payload::decode(black_box(bytes))));
        });
        group.bench_function("prost_decode", |b| {
            b.iter(|| black_box(<proto::Payload as Message>::decode(black_box(bytes))));
        });
        group.bench_function("view_read", |b| {
            b.iter(|| black_box(view_read(black_box(bytes))));
        });
        group.bench_function("encode", |b| {
            b.iter(|| black_box(black_box(&case.payload).encode_to_vec()));
        });
        group.bench_function("prost_encode", |b| {
            b.iter(|| black_box(Message::encode_to_vec(black_box(&case.wire))));
        });
        group.finish();
    }
}

fn codec(c: &mut Criterion) {
    for case in [
        Case::new("ndata", ice_plant_ndata()),
        Case::new("dbirth", ice_plant_dbirth()),
    ] {
        bench_case(c, &case);
    }
}

/// Light settings: the whole run fits in a few minutes on two cores.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = codec
}
criterion_main!(benches);
