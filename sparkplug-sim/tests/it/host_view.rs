//! The host application receives exactly what the simulator published: counts and values.

use std::collections::HashMap;
use std::time::Duration;

use sparkplug_b::session::host::HostEvent;
use sparkplug_b::topic::{MessageType, Topic};
use sparkplug_b::{Payload, Value};
use sparkplug_sim::Loopback;

use crate::support::{MIXED, scenario};

/// The last value of each (node, device, metric).
type LastValues = HashMap<(String, Option<String>, String), Option<Value>>;

/// Every metric value of every published birth and data message, by (node, device, name),
/// resolved through the births' aliases.
pub(crate) fn published_values(
    published: &[(
        sparkplug_b::session::Timestamp,
        sparkplug_b::session::Publish,
    )],
) -> (usize, LastValues) {
    let mut names: HashMap<(String, u64), String> = HashMap::new();
    let mut last = HashMap::new();
    let mut count = 0;
    for (_, p) in published {
        let Ok(topic) = Topic::parse(&p.topic) else {
            continue;
        };
        let node = topic
            .edge_node()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default();
        let device = topic.device().map(|d| d.as_str().to_owned());
        let mt = topic.message_type();
        if !matches!(
            mt,
            MessageType::NBirth | MessageType::DBirth | MessageType::NData | MessageType::DData
        ) {
            continue;
        }
        let payload = Payload::decode(&p.payload).expect("the simulator publishes valid payloads");
        for m in payload.metrics {
            let name = match (&m.name, m.alias) {
                (Some(n), alias) => {
                    if let Some(a) = alias {
                        names.insert((node.clone(), a), n.clone());
                    }
                    n.clone()
                }
                (None, Some(a)) => names[&(node.clone(), a)].clone(),
                (None, None) => panic!("metric without name or alias"),
            };
            if name == "bdSeq" || name == "Node Control/Rebirth" {
                continue;
            }
            if matches!(mt, MessageType::NData | MessageType::DData) {
                count += 1;
            }
            last.insert((node.clone(), device.clone(), name), m.value);
        }
    }
    (count, last)
}

/// tck-id-topics-ndata-payload, tck-id-topics-ddata-payload: every data metric the
/// simulator published reaches the host, resolved, with the value published last.
#[test]
fn host_receives_exactly_what_was_published() {
    let mut lb = Loopback::new(scenario(MIXED, 11));
    lb.run_for(Duration::from_secs(120));
    let events = lb.take_host_events();
    let received: usize = events
        .iter()
        .map(|(_, e)| match e {
            HostEvent::Metrics {
                message_type: MessageType::NData | MessageType::DData,
                metrics,
                ..
            } => metrics.len(),
            _ => 0,
        })
        .sum();
    let (published, last) = published_values(lb.published());
    assert!(published > 1000, "only {published} metrics published");
    assert_eq!(received, published);
    assert_eq!(lb.scenario().counters().metrics as usize, published);
    let mut checked = 0;
    for ((node, device, name), value) in &last {
        let group = if node == "Plant1" {
            "IcePlant"
        } else {
            "Factory"
        };
        let host = lb
            .host()
            .node_metric_value(group, node, device.as_deref(), name);
        // Data metrics carry no datatype: compare numbers as numbers (a UInt64 on the wire is
        // the host's Int64 when the birth says so).
        let same = host == value.as_ref()
            || matches!((host, value), (Some(h), Some(v)) if h.as_f64().is_some() && h.as_f64() == v.as_f64());
        assert!(
            same,
            "{node}/{device:?}/{name}: host {host:?}, published {value:?}"
        );
        checked += 1;
    }
    assert!(checked >= 75, "checked {checked} metrics");
    assert!(
        events
            .iter()
            .all(|(_, e)| !matches!(e, HostEvent::Violation { .. } | HostEvent::SeqGap { .. }))
    );
}
