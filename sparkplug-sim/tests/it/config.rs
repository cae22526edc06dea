//! The shipped example scenario, and every datatype end to end.

use std::time::Duration;

use sparkplug_b::DataType;
use sparkplug_b::session::Timestamp;
use sparkplug_sim::config::ScenarioConfig;
use sparkplug_sim::{BuildError, Loopback, Scenario};

use crate::support::{T0, scenario};

fn example_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenario.toml")
}

#[test]
fn the_example_scenario_parses_builds_and_runs() {
    let config = ScenarioConfig::from_file(example_path()).unwrap();
    assert_eq!(config.node_count(), 3);
    let s = Scenario::from_config(&config, 1, Timestamp::from_millis(T0)).unwrap();
    assert!(s.metric_count() > 100);
    let mut lb = Loopback::new(s);
    lb.run_for(Duration::from_secs(120));
    assert!(lb.host().is_online("Packaging", "Line1"));
    // The replayed flow comes from the CSV file.
    let flow = lb
        .host()
        .node_metric_value("Packaging", "Line1", Some("Filler"), "Flow");
    let flow = flow.and_then(|v| v.as_f64()).unwrap();
    assert!((11.8..=13.1).contains(&flow), "{flow}");
    assert!(lb.scenario().counters().faults >= 4);
}

/// Every Sparkplug datatype a metric can have is produced, born with its datatype, and
/// received by the host typed as such (tck-id-payloads-metric-datatype-value).
#[test]
fn every_datatype_reaches_the_host() {
    let mut text = String::from("[[node]]\ngroup = \"G\"\nnode = \"Types\"\ndevices = 1\n");
    let types: Vec<DataType> = DataType::ALL
        .iter()
        .copied()
        .filter(|d| d.is_metric_type())
        .collect();
    for d in &types {
        text.push_str(&format!(
            "[[node.metric]]\nname = \"{0}\"\ndatatype = \"{0}\"\ngenerator = {{ kind = \"counter\" }}\nunits = \"u\"\n",
            d.name()
        ));
    }
    let mut lb = Loopback::new(scenario(&text, 1));
    lb.run_for(Duration::from_secs(5));
    let host = lb.host().app();
    let g = sparkplug_b::topic::GroupId::new("G").unwrap();
    let n = sparkplug_b::topic::EdgeNodeId::new("Types").unwrap();
    let dev = sparkplug_b::topic::DeviceId::new("Device1").unwrap();
    for d in &types {
        let m = host
            .metric(&g, &n, Some(&dev), d.name())
            .unwrap_or_else(|| panic!("{}", d.name()));
        assert_eq!(m.datatype, *d);
        assert_eq!(
            m.value.as_ref().map(|v| v.data_type()),
            Some(*d),
            "{}",
            d.name()
        );
    }
    let (_, dbirth) = lb
        .published()
        .iter()
        .find(|(_, p)| p.topic.contains("/DBIRTH/"))
        .unwrap();
    let dbirth = sparkplug_b::Payload::decode(&dbirth.payload).unwrap();
    for d in &types {
        let m = dbirth.metric(d.name()).unwrap();
        assert_eq!(m.datatype, Some(*d));
        let unit = m.properties.as_ref().and_then(|p| p.get("engUnit"));
        assert!(unit.is_some(), "{} has its engUnit", d.name());
    }
    assert!(types.len() >= 30);
}

#[test]
fn build_errors_name_the_problem() {
    let dup = "[[node]]\ngroup = \"G\"\nnode = \"N\"\n[[node]]\ngroup = \"G\"\nnode = \"N\"\n";
    let config: ScenarioConfig = dup.parse().unwrap();
    let e = Scenario::from_config(&config, 1, Timestamp::from_millis(T0)).unwrap_err();
    assert!(matches!(e, BuildError::DuplicateNode { .. }), "{e}");
    // A bad id in a file is refused when it is read (config::tests); one set in code is
    // refused when the scenario is built.
    let bad_id = "[[node]]\ngroup = \"G/x\"\nnode = \"N\"\n";
    assert!(bad_id.parse::<ScenarioConfig>().is_err());
    let mut config: ScenarioConfig = "[[node]]\ngroup = \"G\"\nnode = \"N\"\n".parse().unwrap();
    config.nodes[0].options.group = "G/x".to_owned();
    let e = Scenario::from_config(&config, 1, Timestamp::from_millis(T0)).unwrap_err();
    assert!(matches!(e, BuildError::Id { .. }), "{e}");
    let fault = "[[node]]\ngroup = \"G\"\nnode = \"N\"\n[[fault]]\nat_s = 1\nnode = \"Nope\"\nkind = \"skip_seq\"\n";
    let config: ScenarioConfig = fault.parse().unwrap();
    let e = Scenario::from_config(&config, 1, Timestamp::from_millis(T0)).unwrap_err();
    assert!(e.to_string().contains("Nope"), "{e}");
    let csv = "[[node]]\ngroup = \"G\"\nnode = \"N\"\n[[node.node_metric]]\nname = \"x\"\ngenerator = { kind = \"replay\", file = \"/nonexistent.csv\" }\n";
    let config: ScenarioConfig = csv.parse().unwrap();
    let e = Scenario::from_config(&config, 1, Timestamp::from_millis(T0)).unwrap_err();
    assert!(matches!(e, BuildError::Csv { .. }), "{e}");
}
