//! Feeds the host benchmark's NDATA stream (`benches::host_stream`) once through
//! `HostApplication::handle_publish`, or through bare `Payload::decode`, for instruction counts
//! with callgrind (see `docs/PERFORMANCE.md`):
//!
//! ```text
//! cargo build --release -p benches --bin host_ops
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/host_ops host
//! ```
//!
//! Operations: `none` (building the stream and the born host only: the baseline to subtract),
//! `host`, `decode`.

use std::hint::black_box;
use std::process::ExitCode;

use benches::host_stream::{born_host, stream};
use sparkplug_b::Payload;
use sparkplug_b::session::Timestamp;
use sparkplug_b::session::host::HostEvent;

fn main() -> ExitCode {
    let op = std::env::args().nth(1).unwrap_or_default();
    let stream = stream();
    let mut host = born_host(&stream);
    let now = Timestamp::from_millis(benches::NDATA_TIMESTAMP + 1_000);
    let mut metrics = 0usize;
    for (topic, bytes) in &stream.data {
        match op.as_str() {
            "none" => {}
            "host" => {
                host.handle_publish(now, topic, black_box(bytes));
                while let Some(event) = host.poll_event() {
                    if let HostEvent::Metrics { metrics: m, .. } = event {
                        metrics += m.len();
                    }
                }
            }
            "decode" => metrics += Payload::decode(black_box(bytes)).map_or(0, |p| p.metrics.len()),
            _ => {
                eprintln!("usage: host_ops none|host|decode");
                return ExitCode::from(2);
            }
        }
    }
    eprintln!("{op}: {} messages, {metrics} metrics", stream.data.len());
    ExitCode::SUCCESS
}
