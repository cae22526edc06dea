//! Host application throughput: the NDATA stream of many edge nodes through
//! `HostApplication::handle_publish` (decode, seq tracking, alias resolution, live values,
//! events), against bare `Payload::decode` of the same bytes in the same run. The session
//! layer's cost is the ratio of the two.
//!
//! `cargo bench -p benches --bench host`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sparkplug_b::session::Timestamp;
use sparkplug_b::session::host::{HostApplication, HostConfig, HostEvent};
use sparkplug_b::topic::HostId;
use sparkplug_b::{Metric, Payload};

/// Edge nodes in the stream.
const NODES: usize = 100;
/// NDATA messages per node.
const ROUNDS: u8 = 10;

struct Stream {
    births: Vec<(String, Vec<u8>)>,
    data: Vec<(String, Vec<u8>)>,
}

/// The births of every node, then `ROUNDS` NDATA per node interleaved as a broker delivers
/// them, each NDATA the ice plant one with the node's next seq.
fn stream() -> Stream {
    let ndata = benches::ice_plant_ndata();
    let mut birth = Payload::new(benches::NDATA_TIMESTAMP - 10_000)
        .with_seq(0)
        .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(benches::NDATA_TIMESTAMP - 10_000))
        .with_metric(
            Metric::new("Node Control/Rebirth", false)
                .with_timestamp(benches::NDATA_TIMESTAMP - 10_000),
        );
    for m in &ndata.metrics {
        let (Some(alias), Some(value)) = (m.alias, m.value.clone()) else {
            continue;
        };
        birth.metrics.push(
            Metric::new(format!("Plant/Metric {alias}"), value)
                .with_alias(alias)
                .with_timestamp(benches::NDATA_TIMESTAMP - 10_000),
        );
    }
    let encode = |p: &Payload| p.encode_to_vec().expect("benchmark payloads encode");
    let births = (0..NODES)
        .map(|n| (format!("spBv1.0/IcePlant/NBIRTH/Plant{n}"), encode(&birth)))
        .collect();
    let mut data = Vec::with_capacity(NODES * usize::from(ROUNDS));
    for round in 1..=ROUNDS {
        let bytes = encode(&Payload {
            seq: Some(u64::from(round)),
            ..ndata.clone()
        });
        for n in 0..NODES {
            data.push((format!("spBv1.0/IcePlant/NDATA/Plant{n}"), bytes.clone()));
        }
    }
    Stream { births, data }
}

/// A host that is online and has seen every node's birth.
fn born_host(stream: &Stream) -> HostApplication {
    let now = Timestamp::from_millis(benches::NDATA_TIMESTAMP);
    let mut host = HostApplication::new(HostConfig::new(HostId::new("bench").expect("a valid id")));
    host.connect(now);
    host.handle_connected(now);
    for (topic, bytes) in &stream.births {
        host.handle_publish(now, topic, bytes);
    }
    while host.poll_transmit().is_some() {}
    while host.poll_event().is_some() {}
    host
}

fn host_throughput(c: &mut Criterion) {
    let stream = stream();
    let metrics = (stream.data.len() * benches::NDATA_METRICS) as u64;
    let now = Timestamp::from_millis(benches::NDATA_TIMESTAMP + 1_000);
    let mut group = c.benchmark_group("host_ndata_stream");
    group.throughput(Throughput::Elements(metrics));
    group.bench_function("bare_decode", |b| {
        b.iter(|| {
            let mut n = 0;
            for (_, bytes) in &stream.data {
                n += Payload::decode(black_box(bytes)).map_or(0, |p| p.metrics.len());
            }
            n
        })
    });
    group.bench_function("host_process", |b| {
        b.iter_batched(
            || born_host(&stream),
            |mut host| {
                let mut n = 0;
                for (topic, bytes) in &stream.data {
                    host.handle_publish(now, topic, black_box(bytes));
                    while let Some(event) = host.poll_event() {
                        if let HostEvent::Metrics { metrics, .. } = event {
                            n += metrics.len();
                        }
                    }
                }
                assert_eq!(n as u64, metrics, "every metric came out as an event");
                host
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(4))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = host_throughput }
criterion_main!(benches);
