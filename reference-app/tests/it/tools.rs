//! The tools as a user runs them: the binary, its standard output piped.

use std::process::{Command, Stdio};

use sparkplug_b::{Metric, Payload};

/// `reference-app decode f.bin | head`: the reader closes the pipe before the JSON is written
/// (it is larger than a pipe's buffer, so the write cannot finish without the reader); the
/// tool exits 0 without a panic. (Before: `println!` panicked on EPIPE, exit status 101.)
#[test]
fn decode_into_a_closed_pipe_exits_quietly() {
    let mut payload = Payload::new(1).with_seq(0);
    for i in 0..5_000 {
        payload = payload.with_metric(Metric::new(
            format!("Line/Machine {i}/Temperature"),
            20.5f64,
        ));
    }
    let dir = std::env::temp_dir().join(format!("iceplant-decode-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.bin");
    std::fs::write(&file, payload.encode_to_vec().unwrap()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_reference-app"))
        .arg("decode")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `head` that read nothing: the reading end closes at once.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
