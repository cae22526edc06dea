//! Runs one codec operation N times on one of the benchmark payloads, for instruction counting
//! with `valgrind --tool=callgrind`, which gives the same figure on a loaded machine as on an
//! idle one (criterion's timings do not). See `docs/PERFORMANCE.md`.
//!
//! ```text
//! cargo build --release -p benches --bin codec_ops
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/codec_ops typed ndata 10000
//! ```
//!
//! Operations: `none` (the loop alone, the baseline to subtract), `typed`, `prost`, `view`,
//! `encode`. Payloads: `ndata`, `dbirth`.

use std::hint::black_box;
use std::process::ExitCode;

use prost::Message;
use sparkplug_b::{Payload, PayloadView, ValueRef, proto};

const USAGE: &str = "usage: codec_ops none|typed|prost|view|encode ndata|dbirth [ITERATIONS]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (op, payload, n) = match args.as_slice() {
        [op, payload] => (op.as_str(), payload.as_str(), 10_000),
        [op, payload, n] => match n.parse() {
            Ok(n) => (op.as_str(), payload.as_str(), n),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    let payload = match payload {
        "ndata" => benches::ice_plant_ndata(),
        "dbirth" => benches::ice_plant_dbirth(),
        _ => return usage(),
    };
    let Ok(bytes) = payload.encode_to_vec() else {
        eprintln!("the benchmark payload does not encode");
        return ExitCode::FAILURE;
    };
    let mut checksum = 0u64;
    for _ in 0..n {
        checksum = checksum.wrapping_add(match op {
            "none" => black_box(&bytes).len() as u64,
            "typed" => Payload::decode(black_box(&bytes)).map_or(0, |p| p.metrics.len() as u64),
            "prost" => {
                proto::Payload::decode(black_box(&bytes[..])).map_or(0, |p| p.metrics.len() as u64)
            }
            "view" => view_checksum(black_box(&bytes)),
            "encode" => black_box(&payload)
                .encode_to_vec()
                .map_or(0, |b| b.len() as u64),
            _ => return usage(),
        });
    }
    eprintln!("{op}: {n} iterations, checksum {checksum}");
    ExitCode::SUCCESS
}

/// What a host reading a few fields does: alias, timestamp and the double values.
fn view_checksum(bytes: &[u8]) -> u64 {
    let Ok(view) = PayloadView::new(bytes) else {
        return 0;
    };
    view.metrics().flatten().fold(0u64, |acc, m| {
        let value = match m.value() {
            Some(ValueRef::Double(d)) => d.to_bits(),
            _ => 0,
        };
        acc.wrapping_add(m.alias().unwrap_or(0))
            .wrapping_add(m.timestamp().unwrap_or(0))
            .wrapping_add(value)
    })
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}
