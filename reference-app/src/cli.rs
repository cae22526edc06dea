//! The command line: subcommands and the flags that override the configuration file.
//!
//! Every option also reads an environment variable (`ICEPLANT_*`); a flag wins over its
//! variable, and both win over the file.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{AppConfig, ConfigError};

/// The ice plant reference application: a Sparkplug B pipeline from a simulated plant to
/// storage, reports and a REST API.
#[derive(Debug, Parser)]
#[command(name = "reference-app", version, about, long_about = None)]
pub struct Cli {
    /// What to run (default: `run`, the whole pipeline).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options shared by every subcommand.
    #[command(flatten)]
    pub options: Options,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole pipeline: broker (unless --mqtt-url), simulator, host, storage, reports, API.
    Run,
    /// Only the simulator, publishing to the broker.
    Sim,
    /// Only the host application and the sinks (no simulator, no API).
    Ingest,
    /// Only the REST API over an existing store.
    Serve,
    /// Runs or back-fills the report jobs over a range of metric time.
    Report(ReportArgs),
    /// Decodes a Sparkplug B payload (a file, or standard input) to JSON.
    Decode(DecodeArgs),
    /// Watches a broker: decoded traffic and conformance findings per edge node.
    Monitor(MonitorArgs),
    /// Prints the effective configuration as TOML.
    Config,
}

/// `report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Start of the range, RFC 3339 (`2026-11-28T00:00:00Z`) or milliseconds since the epoch.
    #[arg(long)]
    pub from: String,
    /// End of the range (exclusive); default: now.
    #[arg(long)]
    pub to: Option<String>,
    /// Only this job (default: every configured job).
    #[arg(long)]
    pub job: Option<String>,
}

/// `decode`
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The payload file; `-` or none reads standard input.
    pub file: Option<PathBuf>,
    /// The birth that names the payload's aliases.
    #[arg(long)]
    pub birth: Option<PathBuf>,
    /// The topic it was published on: the payload is also checked against its message type.
    #[arg(long)]
    pub topic: Option<String>,
}

/// `monitor`
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Print every decoded message too, not only findings.
    #[arg(long)]
    pub traffic: bool,
    /// Stop after this many seconds and print the report (default: until Ctrl-C).
    #[arg(long)]
    pub seconds: Option<u64>,
}

/// Flags over the configuration file.
#[derive(Debug, Args)]
pub struct Options {
    /// A TOML configuration file (see docs/CONFIGURATION.md).
    #[arg(long, global = true, env = "ICEPLANT_CONFIG")]
    pub config: Option<PathBuf>,
    /// An external MQTT broker instead of the embedded one (mqtt://, mqtts://, mqtt5://).
    #[arg(long, global = true, env = "ICEPLANT_MQTT_URL")]
    pub mqtt_url: Option<String>,
    /// The broker user name.
    #[arg(long, global = true, env = "ICEPLANT_MQTT_USERNAME")]
    pub mqtt_username: Option<String>,
    /// The broker password.
    #[arg(
        long,
        global = true,
        env = "ICEPLANT_MQTT_PASSWORD",
        hide_env_values = true
    )]
    pub mqtt_password: Option<String>,
    /// A PEM file of CA certificates for a TLS broker.
    #[arg(long, global = true, env = "ICEPLANT_MQTT_CA_FILE")]
    pub mqtt_ca_file: Option<PathBuf>,
    /// Where the embedded broker listens.
    #[arg(long, global = true, env = "ICEPLANT_BROKER_ADDR")]
    pub broker_addr: Option<SocketAddr>,
    /// The SQL store: `sqlite://FILE` or `mysql://user:pass@host/db`.
    #[arg(
        long,
        global = true,
        env = "ICEPLANT_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// The data directory (SQLite file, Parquet archive, spill files).
    #[arg(long, global = true, env = "ICEPLANT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The Parquet archive's directory.
    #[arg(long, global = true, env = "ICEPLANT_PARQUET_DIR")]
    pub parquet_dir: Option<PathBuf>,
    /// Do not write the Parquet archive.
    #[arg(long, global = true)]
    pub no_parquet: bool,
    /// Do not run the simulator (use edge nodes already on the broker).
    #[arg(long, global = true)]
    pub no_sim: bool,
    /// A simulator scenario file.
    #[arg(long, global = true, env = "ICEPLANT_SIM_CONFIG")]
    pub sim_config: Option<PathBuf>,
    /// The simulator's seed.
    #[arg(long, global = true, env = "ICEPLANT_SIM_SEED")]
    pub seed: Option<u64>,
    /// Simulated seconds per real second.
    #[arg(long, global = true, env = "ICEPLANT_SIM_SPEED")]
    pub speed: Option<f64>,
    /// Simulate the ice plant's compressors as instances of a `Compressor` template (UDT).
    #[arg(long, global = true)]
    pub templates: bool,
    /// The host application id.
    #[arg(long, global = true, env = "ICEPLANT_HOST_ID")]
    pub host_id: Option<String>,
    /// Store only these Sparkplug groups (repeat or separate with commas).
    #[arg(
        long = "group",
        global = true,
        env = "ICEPLANT_GROUPS",
        value_delimiter = ','
    )]
    pub groups: Vec<String>,
    /// Where the REST API listens.
    #[arg(long, global = true, env = "ICEPLANT_API_ADDR")]
    pub api_addr: Option<SocketAddr>,
    /// A host name the API answers for beside addresses and `localhost` (repeat or separate
    /// with commas; `*` for any).
    #[arg(
        long = "api-allowed-host",
        global = true,
        env = "ICEPLANT_API_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub api_allowed_hosts: Vec<String>,
    /// A bearer token the API requires for commands.
    #[arg(
        long,
        global = true,
        env = "ICEPLANT_API_TOKEN",
        hide_env_values = true
    )]
    pub api_token: Option<String>,
}

impl Options {
    /// The configuration file (or the defaults) with these flags applied, validated.
    pub fn resolve(&self) -> Result<AppConfig, ConfigError> {
        let mut config = match &self.config {
            Some(path) => AppConfig::from_file(path)?,
            None => AppConfig::default(),
        };
        let m = &mut config.mqtt;
        set(&mut m.url, self.mqtt_url.clone());
        set_opt(&mut m.username, self.mqtt_username.clone());
        set_opt(&mut m.password, self.mqtt_password.clone());
        set_opt(&mut m.ca_file, self.mqtt_ca_file.clone());
        set(&mut m.broker_addr, self.broker_addr);
        set(&mut m.host_id, self.host_id.clone());
        if !self.groups.is_empty() {
            m.groups = self
                .groups
                .iter()
                .filter(|g| !g.is_empty())
                .cloned()
                .collect();
        }
        let s = &mut config.storage;
        set(&mut s.database_url, self.database_url.clone());
        set(&mut s.data_dir, self.data_dir.clone());
        set_opt(&mut s.parquet_dir, self.parquet_dir.clone());
        if self.no_parquet {
            s.parquet = false;
        }
        let sim = &mut config.sim;
        if self.no_sim {
            sim.enabled = false;
        }
        set_opt(&mut sim.config, self.sim_config.clone());
        set(&mut sim.seed, self.seed);
        set(&mut sim.speed, self.speed);
        if self.templates {
            sim.templates = true;
        }
        set(&mut config.api.addr, self.api_addr);
        set_opt(&mut config.api.token, self.api_token.clone());
        if !self.api_allowed_hosts.is_empty() {
            config.api.allowed_hosts = self
                .api_allowed_hosts
                .iter()
                .filter(|h| !h.is_empty())
                .cloned()
                .collect();
        }
        config.validate()?;
        Ok(config)
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn set_opt<T>(field: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *field = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("reference-app").chain(args.iter().copied()))
    }

    #[test]
    fn no_arguments_is_run_on_the_defaults() {
        let cli = parse(&[]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.options.resolve().unwrap(), AppConfig::default());
    }

    #[test]
    fn the_flags_override_the_defaults() {
        let cli = parse(&[
            "--mqtt-url",
            "mqtt://127.0.0.1:1883",
            "--database-url",
            "mysql://root@127.0.0.1/test",
            "--no-sim",
            "--group",
            "A,B",
            "--api-addr",
            "127.0.0.1:9000",
            "--templates",
        ])
        .unwrap();
        let config = cli.options.resolve().unwrap();
        assert!(config.sim.templates);
        assert!(!config.mqtt.embedded());
        assert_eq!(config.storage.database_url(), "mysql://root@127.0.0.1/test");
        assert!(!config.sim.enabled);
        assert_eq!(config.mqtt.groups, ["A", "B"]);
        assert_eq!(config.api.addr.port(), 9000);
    }

    #[test]
    fn global_flags_work_after_a_subcommand() {
        let cli = parse(&["serve", "--api-addr", "127.0.0.1:9001"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve)));
        assert_eq!(cli.options.resolve().unwrap().api.addr.port(), 9001);
    }

    #[test]
    fn a_bad_flag_value_is_a_clear_error() {
        let err = parse(&["--api-addr", "localhost"]).unwrap_err();
        assert!(err.to_string().contains("--api-addr"), "{err}");
        let err = parse(&["--speed", "0"])
            .unwrap()
            .options
            .resolve()
            .unwrap_err();
        assert!(err.to_string().contains("speed"), "{err}");
    }

    // tck-id-host-topic-phid-birth-topic, tck-id-topic-structure-namespace-valid-group-id: ids
    // from flags (and their ICEPLANT_* variables, which clap reads the same way) are checked.
    #[test]
    fn ids_from_flags_are_checked() {
        for args in [
            &["--host-id", "a+b"][..],
            &["--group", "ok,bad#"][..],
            &["--host-id", "h\u{7f}"][..],
        ] {
            let err = parse(args).unwrap().options.resolve().unwrap_err();
            assert!(matches!(err, ConfigError::Invalid(_)), "{args:?}: {err}");
        }
    }

    #[test]
    fn a_missing_config_file_names_the_file() {
        let err = parse(&["--config", "/nonexistent/iceplant.toml"])
            .unwrap()
            .options
            .resolve()
            .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/iceplant.toml"),
            "{err}"
        );
    }
}
