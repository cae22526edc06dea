//! The simulator part: the scenario from `--sim-config`, or one ice plant whose Primary Host
//! is this app's host application.

use anyhow::{Context, Result};
use sparkplug_b::driver::MqttConfig;
use sparkplug_b::session::Timestamp;
use sparkplug_sim::config::ScenarioConfig;
use sparkplug_sim::{RunOptions, Scenario, SimHandle, Simulator, Speed};

use crate::config::AppConfig;

/// The default scenario: one ice plant, `IcePlant/Plant1`, waiting for our host's STATE.
fn default_scenario(host_id: &str) -> Result<ScenarioConfig> {
    let text =
        format!("[[plant]]\ngroup = \"IcePlant\"\nnode = \"Plant1\"\nprimary_host = {host_id:?}\n");
    text.parse::<ScenarioConfig>()
        .context("the built-in ice plant scenario does not parse")
}

/// Starts the simulator on `mqtt`.
pub(crate) fn spawn(config: &AppConfig, mqtt: MqttConfig) -> Result<SimHandle> {
    let scenario_config = match &config.sim.config {
        Some(path) => ScenarioConfig::from_file(path)
            .with_context(|| format!("the simulator scenario {}", path.display()))?,
        None => default_scenario(&config.mqtt.host_id)?,
    };
    let mut scenario_config = scenario_config;
    if config.sim.templates {
        for plant in &mut scenario_config.plants {
            plant.templates = true;
        }
    }
    let start = Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
    );
    let scenario = Scenario::from_config(&scenario_config, config.sim.seed, start)
        .context("the simulator scenario cannot be built")?;
    let speed = if (config.sim.speed - 1.0).abs() < f64::EPSILON {
        Speed::RealTime
    } else {
        Speed::FastForward(config.sim.speed)
    };
    Ok(Simulator::new(scenario, RunOptions::new(mqtt).with_speed(speed)).spawn())
}
