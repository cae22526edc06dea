//! The Sparkplug B edge-of-network node simulator.
//!
//! A scenario ([`config::ScenarioConfig`], TOML) describes ice plants (one edge node each, its
//! equipment as devices, driven by `plant-model`) and generic edge nodes whose metrics come
//! from generators, plus faults. [`Scenario`] is the deterministic core: built from the
//! configuration and a seed, driven by a simulated clock, it yields the exact MQTT actions of
//! every node through `sparkplug_b`'s sans-IO [`EdgeNode`](sparkplug_b::session::EdgeNode).
//! [`Loopback`] joins it to a [`HostApplication`](sparkplug_b::session::HostApplication) in
//! memory; [`Simulator`] puts it on a broker with tokio and rumqttc.
//!
//! ```
//! use sparkplug_sim::{Loopback, Scenario, config::ScenarioConfig};
//! use sparkplug_b::session::Timestamp;
//!
//! let config: ScenarioConfig = "[[plant]]\ngroup = \"IcePlant\"\nnode = \"Plant1\"\n".parse()?;
//! let scenario = Scenario::from_config(&config, 42, Timestamp::from_millis(1_700_000_000_000))?;
//! let mut sim = Loopback::new(scenario);
//! sim.run_for(std::time::Duration::from_secs(60));
//! let host = sim.host();
//! let temp = host.node_metric_value("IcePlant", "Plant1", Some("BrineTank"), "Temperature");
//! assert!(temp.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crate has no feature flags. The `sparkplug-sim` binary runs a scenario file against a
//! broker (`sparkplug-sim --help`); `docs/SIMULATOR.md` documents the file, the metrics of a
//! plant and the faults.

mod build;
pub mod config;
mod csv;
mod faults;
mod generator;
mod generic;
mod io;
mod loopback;
mod node;
mod plant;
mod rng;
mod scenario;
mod stats;
mod values;

pub use build::BuildError;
pub use csv::CsvError;
pub use io::{
    Finished, OpenError, RunError, RunOptions, SimHandle, Simulator, Speed, StatsSnapshot,
};
pub use loopback::{HostView, Loopback};
pub use scenario::{Action, Scenario, SimEvent};
pub use sparkplug_b::session::Publish;
pub use stats::Counters;
