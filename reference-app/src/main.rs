//! The ice plant reference application: one binary that assembles the Sparkplug B suite into a
//! pipeline. With no arguments it runs everything on embedded defaults: an MQTT broker on
//! localhost, the simulator with one ice plant, the host application (Primary Host), a SQLite
//! store and a Parquet archive in `./data`, the report scheduler and the REST API on
//! 127.0.0.1:8080. Flags, a TOML file and `ICEPLANT_*` variables point each part at a real
//! service instead (see `docs/CONFIGURATION.md`).

use std::process::ExitCode;

use clap::Parser;
use reference_app::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let config = match cli.options.resolve() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Run);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(reference_app::run_command(config, command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The log filter when `RUST_LOG` is not set. rumqttd's router logs an ERROR ("no-connection
/// id N is already gone") for data that arrives after a client disconnected, which happens
/// on every ordinary disconnect; its router's own log is off so that an ERROR line means one.
const DEFAULT_LOG: &str = "info,rumqttd=warn,rumqttd::router::routing=off,sqlx=warn";

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
