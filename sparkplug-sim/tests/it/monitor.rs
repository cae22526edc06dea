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

/// The ice plant with `templates = true`.
const TEMPLATE_PLANT: &str = r#"
[[plant]]
group = "IcePlant"
node = "Plant1"
templates = true
deadband = 0.01
"#;

/// tck-id-payloads-template-definition-nbirth, tck-id-payloads-template-instance-members-birth,
/// tck-id-payloads-template-instance-members-data, tck-id-topics-nbirth-templates: the ice plant
/// as UDT instances. The NBIRTH defines `Compressor` and carries three instances
/// `Compressor1..3` (no compressor devices); data carries instances with the changed members;
/// the Monitor finds nothing; the host reads the members by path; a write to a member by path
/// reaches the plant.
#[test]
fn the_ice_plant_as_template_instances() {
    let mut lb = loopback(scenario(TEMPLATE_PLANT, 3));
    lb.run_for(Duration::from_secs(30));
    let mut monitor = Monitor::new(MonitorConfig::default());
    let mut nbirth = None;
    let mut member_updates = 0;
    for (at, p) in lb.published() {
        monitor.handle_message(*at, &p.topic, &p.payload, 0, p.retain);
        assert!(
            !p.topic.contains("/Compressor"),
            "no compressor device: {}",
            p.topic
        );
        let payload = Payload::decode(&p.payload).unwrap();
        if p.topic.contains("/NBIRTH/") {
            nbirth.get_or_insert(payload);
        } else if p.topic.contains("/NDATA/") {
            for m in &payload.metrics {
                if let Some(Value::Template(t)) = &m.value {
                    assert_eq!(t.template_ref.as_deref(), Some("Compressor"));
                    member_updates += t.metrics.len();
                }
            }
        }
    }
    let findings: Vec<String> = std::iter::from_fn(|| monitor.poll_finding())
        .map(|f| f.to_string())
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
    let nbirth = nbirth.expect("an NBIRTH");
    let catalog = sparkplug_b::TemplateCatalog::from_birth(&nbirth);
    let compressor = catalog.get("Compressor").expect("the definition");
    assert_eq!(compressor.version.as_deref(), Some("1"));
    for i in 1..=3 {
        let m = nbirth
            .metric(&format!("Compressor{i}"))
            .expect("an instance");
        let Some(Value::Template(t)) = &m.value else {
            panic!("{m:?}")
        };
        catalog.check_instance(t, true).unwrap();
    }
    assert!(member_updates > 0, "members change in data");
    let host = lb.host();
    let node = host
        .app()
        .node(
            &sparkplug_b::topic::GroupId::new("IcePlant").unwrap(),
            &sparkplug_b::topic::EdgeNodeId::new("Plant1").unwrap(),
        )
        .unwrap();
    assert!(node.templates().contains("Compressor"));
    let plant = lb.scenario().node_index("IcePlant", "Plant1").unwrap();
    lb.write_metric("IcePlant", "Plant1", None, "Compressor2/Enabled", false)
        .unwrap();
    assert!(!lb.scenario().plant(plant).unwrap().compressors()[1].enabled);
}
