//! The simulator's traffic graded by the sparkplug-b `Monitor`: a conformant edge node gives
//! no findings.

use std::time::Duration;

use sparkplug_b::monitor::{Monitor, MonitorConfig};
use sparkplug_b::session::QoS;
use sparkplug_b::{Payload, Value};

use crate::support::{MIXED, loopback, scenario};

/// MIXED, plus a node whose node and device metrics are templates and DataSets.
fn with_templates() -> String {
    format!(
        r#"{MIXED}
[[node]]
group = "Factory"
node = "Udt1"
devices = 1
[[node.metric]]
name = "Sample{{i}}"
count = 2
datatype = "Template"
generator = {{ kind = "sine", amplitude = 1.0, offset = 5.0, period_s = 10.0 }}
[[node.node_metric]]
name = "Node/Sample"
datatype = "Template"
generator = {{ kind = "counter" }}
[[node.node_metric]]
name = "Table"
datatype = "DataSet"
generator = {{ kind = "counter" }}
"#
    )
}

/// tck-id-topics-nbirth-templates, tck-id-payloads-template-definition-nbirth,
/// tck-id-payloads-template-definition-nbirth-only: every template instance the simulator
/// publishes, on a node or a device, in a birth or in data, has its definition in the NBIRTH,
/// and the Monitor finds nothing at all in a run.
#[test]
fn a_simulator_run_has_no_monitor_findings() {
    let mut lb = loopback(scenario(&with_templates(), 7));
    lb.run_for(Duration::from_secs(20));
    let mut monitor = Monitor::new(MonitorConfig::default());
    let mut instances = 0;
    for (at, p) in lb.published() {
        let qos = match p.qos {
            QoS::AtMostOnce => 0,
            QoS::AtLeastOnce => 1,
            _ => 2,
        };
        monitor.handle_message(*at, &p.topic, &p.payload, qos, p.retain);
        if p.topic.contains("/NBIRTH/Udt1") || p.topic.contains("/DBIRTH/Udt1") {
            let payload = Payload::decode(&p.payload).unwrap();
            instances += payload
                .metrics
                .iter()
                .filter(|m| {
                    matches!(&m.value, Some(Value::Template(t)) if t.is_definition == Some(false))
                })
                .count();
        }
    }
    let findings: Vec<String> = std::iter::from_fn(|| monitor.poll_finding())
        .map(|f| f.to_string())
        .collect();
    assert!(instances >= 3, "the run published template instances");
    assert!(findings.is_empty(), "{findings:#?}");
}
