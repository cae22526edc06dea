//! The ice plant reference application.
//!
//! **Status:** the pipeline it assembles (simulator, embedded broker, host application,
//! storage, reports, REST API) is not built yet; the parts arrive with their issues. Until
//! then this binary says so honestly, reports what the workspace already provides, and exits
//! successfully, so the README's run command stays true on a fresh machine.

use std::process::ExitCode;

use sparkplug_b::topic::{MessageType, Topic};
use sparkplug_b::{Metric, Payload, validate};

/// A one-line check that the codec this binary is linked with works: encode a minimal NBIRTH,
/// decode it and validate it against the NBIRTH rules.
fn codec_self_check() -> Result<usize, String> {
    let ts = 1_700_000_000_000;
    let birth = Payload::new(ts)
        .with_seq(0)
        .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(ts))
        .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(ts));
    let bytes = birth.encode_to_vec().map_err(|e| e.to_string())?;
    let decoded = Payload::decode(&bytes).map_err(|e| e.to_string())?;
    let topic: Topic = "spBv1.0/IcePlant/NBIRTH/Plant1"
        .parse()
        .map_err(|e| format!("{e}"))?;
    debug_assert_eq!(topic.message_type(), MessageType::NBirth);
    validate(topic.message_type(), &decoded).map_err(|e| e.to_string())?;
    Ok(bytes.len())
}

fn main() -> ExitCode {
    match codec_self_check() {
        Ok(len) => {
            eprintln!("reference-app {}", env!("CARGO_PKG_VERSION"));
            eprintln!(
                "sparkplug-b codec: ok (a minimal NBIRTH encodes to {len} bytes, decodes and validates)"
            );
            eprintln!(
                "The ice plant pipeline (simulator, embedded MQTT broker, host application, storage, \
                 reports, REST API) is not assembled yet: see the open issues."
            );
            eprintln!(
                "To decode a payload today: cargo run -p sparkplug-b --example decode -- FILE [--birth BIRTH_FILE]"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: the sparkplug-b self-check failed: {e}");
            ExitCode::FAILURE
        }
    }
}
