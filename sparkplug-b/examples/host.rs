//! A Sparkplug B host application on an MQTT broker: prints every event as one JSON line on
//! standard output, and publishes its STATE death on Ctrl-C.
//!
//! ```text
//! cargo run -p sparkplug-b --features tokio --example host -- \
//!     --mqtt-url mqtt://127.0.0.1:1883 --host-id H \
//!     [--username U --password P] [--rebirth-after SECONDS]
//! ```
//!
//! The events are not `Serialize` themselves: each line is built here with `serde_json`, and
//! metrics use the crate's JSON rendering (feature `serde`). With `--rebirth-after`, the host
//! asks every online edge node for a rebirth once, that many seconds after starting. Bad
//! arguments print the usage and exit with status 2.

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value as Json, json};
use sparkplug_b::driver::{BrokerUrl, HostRunner, MqttConfig, RunnerEvent};
use sparkplug_b::session::{HostApplication, HostConfig, HostEvent};
use sparkplug_b::topic::HostId;

const USAGE: &str = "usage: host --mqtt-url URL --host-id H [--username U --password P] \
[--rebirth-after SECONDS]
  URL: mqtt://host[:port] | mqtts://... (TLS) | mqtt5://... | mqtts5://... (MQTT 5)";

struct Args {
    url: BrokerUrl,
    host_id: HostId,
    credentials: Option<(String, String)>,
    rebirth_after: Option<Duration>,
}

/// The arguments; `Ok(None)` for `--help`.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let (mut url, mut host_id, mut username, mut password, mut rebirth_after) =
        (None, None, None, None, None);
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn Error| format!("{flag} {value:?}: {e}");
        match flag.as_str() {
            "--mqtt-url" => url = Some(value.parse::<BrokerUrl>().map_err(|e| bad(&e))?),
            "--host-id" => host_id = Some(HostId::new(value.clone()).map_err(|e| bad(&e))?),
            "--username" => username = Some(value),
            "--password" => password = Some(value),
            "--rebirth-after" => {
                let secs: u64 = value.parse().map_err(|e| bad(&e))?;
                rebirth_after = Some(Duration::from_secs(secs));
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    let credentials = match (username, password) {
        (Some(u), Some(p)) => Some((u, p)),
        (None, None) => None,
        _ => return Err("--username and --password go together".to_owned()),
    };
    Ok(Some(Args {
        url: url.ok_or("--mqtt-url is required")?,
        host_id: host_id.ok_or("--host-id is required")?,
        credentials,
        rebirth_after,
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let host = HostApplication::new(HostConfig::new(args.host_id));
    let mut mqtt = MqttConfig::new(args.url);
    if let Some((user, password)) = args.credentials {
        mqtt = mqtt.with_credentials(user, password);
    }
    let (runner, handle, mut events) = HostRunner::new(host, mqtt);
    let task = runner.spawn();

    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let rebirth = tokio::time::sleep(
        args.rebirth_after
            .unwrap_or(Duration::from_secs(365 * 86_400)),
    );
    tokio::pin!(rebirth);
    let mut rebirth_pending = args.rebirth_after.is_some();
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            () = &mut rebirth, if rebirth_pending => {
                rebirth_pending = false;
                let online = handle
                    .inspect(|host| {
                        host.nodes()
                            .filter(|(_, _, node)| node.is_online())
                            .map(|(group, node, _)| (group.clone(), node.clone()))
                            .collect::<Vec<_>>()
                    })
                    .await?;
                for (group, node) in online {
                    if let Err(e) = handle.request_rebirth(&group, &node).await {
                        eprintln!("host: rebirth request to {group}/{node} failed: {e}");
                    }
                }
            }
            event = events.recv() => match event {
                Some(event) => {
                    #[allow(clippy::print_stdout)] // printing the events is this program's job
                    {
                        println!("{}", line(event));
                    }
                }
                None => break,
            }
        }
    }
    eprintln!("host: shutting down (STATE offline, then DISCONNECT)");
    handle.shutdown().await;
    task.await??;
    Ok(())
}

fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// One event as a JSON object: `event` names it, the other keys are its fields.
fn line(event: RunnerEvent<HostEvent>) -> Json {
    let event = match event {
        RunnerEvent::Session(event) => event,
        RunnerEvent::Connected { broker } => return json!({"event": "Connected", "broker": broker}),
        RunnerEvent::ConnectionLost {
            error,
            reconnect_in,
        } => {
            return json!({
                "event": "ConnectionLost",
                "error": chain(&*error),
                "reconnect_in_ms": reconnect_in.as_millis() as u64,
            });
        }
        RunnerEvent::EventsDropped { count } => {
            return json!({"event": "EventsDropped", "count": count});
        }
        other => return json!({"event": "Other", "debug": format!("{other:?}")}),
    };
    let bd = |b: Option<sparkplug_b::session::BdSeq>| b.map(|b| b.value());
    match event {
        HostEvent::StateBirthPublished { timestamp } => {
            json!({"event": "StateBirthPublished", "timestamp": timestamp.as_millis()})
        }
        HostEvent::OwnStateOffline {
            timestamp,
            current,
            response,
        } => json!({
            "event": "OwnStateOffline", "timestamp": timestamp,
            "current": current.as_millis(), "response": format!("{response:?}"),
        }),
        HostEvent::HostState { host, state } => json!({
            "event": "HostState", "host": host.as_str(),
            "online": state.online, "timestamp": state.timestamp,
        }),
        HostEvent::ConnectionLost { at } => {
            json!({"event": "ConnectionLost", "at": at.as_millis()})
        }
        HostEvent::NodeOnline {
            group,
            node,
            bd_seq,
            at,
        } => json!({
            "event": "NodeOnline", "group": group.as_str(), "node": node.as_str(),
            "bd_seq": bd(bd_seq), "at": at.as_millis(),
        }),
        HostEvent::NodeOffline {
            group,
            node,
            bd_seq,
            at,
        } => json!({
            "event": "NodeOffline", "group": group.as_str(), "node": node.as_str(),
            "bd_seq": bd(bd_seq), "at": at.as_millis(),
        }),
        HostEvent::DeviceOnline {
            group,
            node,
            device,
            at,
        } => json!({
            "event": "DeviceOnline", "group": group.as_str(), "node": node.as_str(),
            "device": device.as_str(), "at": at.as_millis(),
        }),
        HostEvent::DeviceOffline {
            group,
            node,
            device,
            at,
            cause,
        } => json!({
            "event": "DeviceOffline", "group": group.as_str(), "node": node.as_str(),
            "device": device.as_str(), "at": at.as_millis(), "cause": format!("{cause:?}"),
        }),
        HostEvent::Metrics {
            group,
            node,
            device,
            message_type,
            bd_seq,
            seq,
            received_at,
            timestamp,
            metrics,
            out_of_sequence,
        } => {
            let metrics: Vec<Json> = metrics
                .iter()
                .map(|m| {
                    let mut metric = serde_json::to_value(m.to_metric()).unwrap_or(Json::Null);
                    if let Json::Object(fields) = &mut metric {
                        fields.insert("quality".to_owned(), json!(m.quality().code()));
                    }
                    metric
                })
                .collect();
            json!({
                "event": "Metrics", "group": group.as_str(), "node": node.as_str(),
                "device": device.as_ref().map(|d| d.as_str()),
                "message_type": message_type.to_string(), "bd_seq": bd(bd_seq),
                "seq": seq.map(|s| s.value()), "received_at": received_at.as_millis(),
                "timestamp": timestamp, "out_of_sequence": out_of_sequence, "metrics": metrics,
            })
        }
        HostEvent::SeqGap {
            group,
            node,
            bd_seq,
            expected,
            received,
        } => json!({
            "event": "SeqGap", "group": group.as_str(), "node": node.as_str(),
            "bd_seq": bd(bd_seq), "expected": expected.value(), "received": received.value(),
        }),
        HostEvent::RebirthRequested {
            group,
            node,
            reason,
        } => json!({
            "event": "RebirthRequested", "group": group.as_str(), "node": node.as_str(),
            "reason": format!("{reason:?}"),
        }),
        HostEvent::RebirthSuppressed {
            group,
            node,
            reason,
        } => json!({
            "event": "RebirthSuppressed", "group": group.as_str(), "node": node.as_str(),
            "reason": format!("{reason:?}"),
        }),
        HostEvent::Violation {
            group,
            node,
            device,
            message_type,
            tck_id,
            detail,
            recommendation,
        } => json!({
            "event": "Violation", "group": group.as_ref().map(|g| g.as_str()),
            "node": node.as_ref().map(|n| n.as_str()),
            "device": device.as_ref().map(|d| d.as_str()),
            "message_type": message_type.map(|m| m.to_string()), "tck_id": tck_id,
            "detail": detail, "recommendation": recommendation,
        }),
        HostEvent::StaleNdeathIgnored {
            group,
            node,
            ndeath_bd_seq,
            current_bd_seq,
        } => json!({
            "event": "StaleNdeathIgnored", "group": group.as_str(), "node": node.as_str(),
            "ndeath_bd_seq": bd(ndeath_bd_seq), "current_bd_seq": bd(current_bd_seq),
        }),
        other => json!({"event": "Other", "debug": format!("{other:?}")}),
    }
}
