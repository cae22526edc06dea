//! Host application throughput: the NDATA stream of many edge nodes through
//! `HostApplication::handle_publish` (decode, seq tracking, alias resolution, live values,
//! events), against bare `Payload::decode` of the same bytes in the same run. The session
//! layer's cost is the ratio of the two.
//!
//! `cargo bench -p benches --bench host`

use std::hint::black_box;

use benches::host_stream::{born_host, stream};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sparkplug_b::Payload;
use sparkplug_b::session::Timestamp;
use sparkplug_b::session::host::HostEvent;

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
