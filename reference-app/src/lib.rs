//! The ice plant reference application as a library, so its end-to-end tests can start the
//! whole pipeline in-process: [`start`] assembles what an [`AppConfig`] asks for and returns a
//! [`Running`] app with its addresses and a clean [`Running::shutdown`].
//!
//! The binary (`src/main.rs`) is a thin command line over this.

mod api;
mod app;
mod broker;
mod cli;
mod config;
mod live;
mod reports;
mod telemetry;
mod tools;
mod web;

pub use app::{Parts, Running, StartError, start};
pub use cli::{Cli, Command};
pub use config::{
    ApiSection, AppConfig, ConfigError, JobConfig, JobKind, MqttSection, ReportsSection,
    SimSection, StorageSection,
};

/// Runs a subcommand to its end (Ctrl-C or SIGTERM for the long-running ones).
pub async fn run_command(config: AppConfig, command: Command) -> anyhow::Result<()> {
    app::main(config, command).await
}
