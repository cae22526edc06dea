//! Issue 12, as a user would try it: one NBIRTH with a 300-byte group id, published on the
//! broker. The SQL store cannot hold the id (its key columns are 255 characters): the records
//! go to `<data_dir>/dead-letter/sqlite.deadletter.jsonl` with the reason and are counted on
//! `/metrics`; the Parquet archive writes them under a bounded partition name; a normal
//! node's birth beside it is stored everywhere; nothing is left to replay.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reference_app::{AppConfig, Parts, start};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use sparkplug_b::{Metric, Payload};

use crate::http::get;

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn nbirth() -> Vec<u8> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let mut payload = Payload::new(now);
    payload.seq = Some(0);
    payload.metrics.push(Metric::new("bdSeq", 0i64));
    payload
        .metrics
        .push(Metric::new("Temperature", 1.5f64).with_alias(1));
    payload.encode_to_vec().unwrap()
}

/// The sum of a per-sink series on `/metrics` for `sink`.
async fn series(api: SocketAddr, name: &str, sink: &str) -> u64 {
    let text = get(api, "/metrics").await.body;
    let prefix = format!("iceplant_{name}{{sink=\"{sink}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix)?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_byte_group_id_is_quarantined_by_sql_and_archived_by_parquet() {
    let dir = std::env::temp_dir().join(format!("iceplant-quarantine-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = AppConfig::default();
    config.mqtt.broker_addr = free_addr();
    config.mqtt.host_id = format!("QuarantineHost{}", std::process::id());
    config.api.addr = free_addr();
    config.storage.data_dir = dir.clone();
    let parts = Parts {
        sim: false,
        reports: false,
        ..Parts::ALL
    };
    let running = start(&config, parts).await.unwrap();
    let api = running.api_addr.unwrap();
    let start_wait = Instant::now();
    while get(api, "/readyz").await.status != 200 {
        assert!(
            start_wait.elapsed() < Duration::from_secs(20),
            "never ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let broker = config.mqtt.broker_addr;
    let id = format!("quarantine-edge-{}", std::process::id());
    let (client, mut events) = AsyncClient::new(
        MqttOptions::new(id, broker.ip().to_string(), broker.port()),
        100,
    );
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let long = "g".repeat(300);
    for group in [long.as_str(), "Normal"] {
        client
            .publish(
                format!("spBv1.0/{group}/NBIRTH/N1"),
                QoS::AtLeastOnce,
                false,
                nbirth(),
            )
            .await
            .unwrap();
    }

    // The birth, its online event and its two samples (bdSeq, Temperature).
    let wait = Instant::now();
    while series(api, "sink_quarantined_rows_total", "sqlite").await < 4
        || series(api, "sink_rows_written_total", "parquet").await < 8
    {
        assert!(
            wait.elapsed() < Duration::from_secs(20),
            "{}",
            get(api, "/metrics").await.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rejected = series(api, "sink_rejected_rows_total", "sqlite").await;
    assert_eq!(series(api, "sink_rejected_rows_total", "parquet").await, 0);
    assert_eq!(series(api, "sink_spill_rows", "sqlite").await, 0);
    let nodes = get(api, "/api/v1/nodes").await;
    assert!(nodes.body.contains("Normal"), "{}", nodes.body);
    assert!(!nodes.body.contains(&long));
    running.shutdown().await.unwrap();

    let text = std::fs::read_to_string(dir.join("dead-letter/sqlite.deadletter.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len() as u64,
        rejected,
        "every rejected record is quarantined"
    );
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| format!("{} {}", l["record"]["type"], l["record"]["kind"]))
        .collect();
    eprintln!("quarantined: {kinds:?}");
    for line in &lines {
        assert_eq!(line["record"]["group"], long.as_str());
        assert!(line["reason"].as_str().unwrap().contains("255"), "{line}");
    }
    let births = dir.join("parquet/births");
    let names: Vec<String> = std::fs::read_dir(&births)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.len() <= 255), "{names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
