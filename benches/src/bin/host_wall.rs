//! Wall-clock companion of `host_ops` for a busy machine: the host benchmark's NDATA stream
//! (`benches::host_stream`) through bare `Payload::decode` and through a freshly born
//! `HostApplication`, alternately, `rounds` times; the fastest round of each is the least
//! disturbed by other load, so their ratio is the figure to compare (see
//! `docs/PERFORMANCE.md`):
//!
//! ```text
//! cargo build --release -p benches --bin host_wall
//! target/release/host_wall 300
//! ```

use std::hint::black_box;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use benches::host_stream::{Stream, born_host, stream};
use sparkplug_b::Payload;
use sparkplug_b::session::Timestamp;
use sparkplug_b::session::host::HostEvent;

fn decode_round(stream: &Stream) -> Duration {
    let start = Instant::now();
    let mut metrics = 0;
    for (_, bytes) in &stream.data {
        metrics += Payload::decode(black_box(bytes)).map_or(0, |p| p.metrics.len());
    }
    let elapsed = start.elapsed();
    black_box(metrics);
    elapsed
}

fn host_round(stream: &Stream, now: Timestamp) -> Duration {
    let mut host = born_host(stream);
    let start = Instant::now();
    let mut metrics = 0;
    for (topic, bytes) in &stream.data {
        host.handle_publish(now, topic, black_box(bytes));
        while let Some(event) = host.poll_event() {
            if let HostEvent::Metrics { metrics: m, .. } = event {
                metrics += m.len();
            }
        }
    }
    let elapsed = start.elapsed();
    black_box(metrics);
    elapsed
}

fn main() -> ExitCode {
    let rounds: u32 = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 300,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: host_wall [rounds]");
            return ExitCode::from(2);
        }
    };
    let stream = stream();
    let now = Timestamp::from_millis(benches::NDATA_TIMESTAMP + 1_000);
    let (mut decode, mut host) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        decode = decode.min(decode_round(&stream));
        host = host.min(host_round(&stream, now));
    }
    let metrics = (stream.data.len() * benches::NDATA_METRICS) as f64;
    let report = format!(
        "fastest of {rounds} rounds: bare_decode {:.3} ms ({:.1} M metrics/s), host_process {:.3} ms ({:.1} M metrics/s), ratio {:.2}\n",
        decode.as_secs_f64() * 1e3,
        metrics / decode.as_secs_f64() / 1e6,
        host.as_secs_f64() * 1e3,
        metrics / host.as_secs_f64() / 1e6,
        host.as_secs_f64() / decode.as_secs_f64(),
    );
    match std::io::stdout().write_all(report.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
