//! The effective configuration: defaults, then a TOML file, then environment variables and
//! command-line flags (clap merges those two), in that order of precedence.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sparkplug_b::driver::redact_url;
use sparkplug_b::topic::{GroupId, HostId};

/// Everything the app can be told.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppConfig {
    /// The MQTT side.
    pub mqtt: MqttSection,
    /// The simulator.
    pub sim: SimSection,
    /// Where data goes.
    pub storage: StorageSection,
    /// The REST API.
    pub api: ApiSection,
    /// The batch reports.
    pub reports: ReportsSection,
}

/// `[mqtt]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqttSection {
    /// An external broker (`mqtt://`, `mqtts://`, `mqtt5://`, `mqtts5://`); empty runs the
    /// embedded broker.
    pub url: String,
    /// Where the embedded broker listens.
    pub broker_addr: SocketAddr,
    /// The host application's id (its STATE topic is `spBv1.0/STATE/<host_id>`).
    pub host_id: String,
    /// Only these Sparkplug groups are stored (empty: all).
    pub groups: Vec<String>,
    /// User name for the broker.
    pub username: Option<String>,
    /// Password for the broker.
    pub password: Option<String>,
    /// A PEM file of CA certificates to trust for TLS (`mqtts://`).
    pub ca_file: Option<PathBuf>,
    /// What the host does when `online: false` appears on its own STATE topic while it is
    /// online (a forged or stale message; docs/SECURITY.md).
    pub own_state_offline: OwnStateOfflineChoice,
}

/// `mqtt.own_state_offline`: the host's answer to an offline STATE of its own
/// ([`sparkplug_b::session::host::OwnStateOffline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnStateOfflineChoice {
    /// A new MQTT session whose STATE birth is newer than the offline message (default).
    #[default]
    NewSession,
    /// Publish the birth again with the same timestamp, the Sparkplug 3.0 rule.
    Republish,
    /// Only report it.
    Report,
}

impl From<OwnStateOfflineChoice> for sparkplug_b::session::host::OwnStateOffline {
    fn from(choice: OwnStateOfflineChoice) -> Self {
        use sparkplug_b::session::host::OwnStateOffline as O;
        match choice {
            OwnStateOfflineChoice::NewSession => O::NewSession,
            OwnStateOfflineChoice::Republish => O::RepublishSameTimestamp,
            OwnStateOfflineChoice::Report => O::Report,
        }
    }
}

impl Default for MqttSection {
    fn default() -> Self {
        MqttSection {
            url: String::new(),
            broker_addr: SocketAddr::from(([127, 0, 0, 1], 1883)),
            host_id: "IcePlantHost".to_owned(),
            groups: Vec::new(),
            username: None,
            password: None,
            ca_file: None,
            own_state_offline: OwnStateOfflineChoice::NewSession,
        }
    }
}

impl MqttSection {
    /// Whether the app runs its own broker.
    pub fn embedded(&self) -> bool {
        self.url.trim().is_empty()
    }
}

/// `[sim]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSection {
    /// Whether the simulator runs in this process.
    pub enabled: bool,
    /// A simulator scenario file (see docs/SIMULATOR.md); none: one ice plant.
    pub config: Option<PathBuf>,
    /// The seed of every random choice of the simulator.
    pub seed: u64,
    /// Simulated seconds per real second (1 = real time).
    pub speed: f64,
    /// Publish every simulated ice plant's compressors as instances of a `Compressor`
    /// template (UDT) defined in the NBIRTH (`templates = true` on each `[[plant]]`).
    pub templates: bool,
}

impl Default for SimSection {
    fn default() -> Self {
        SimSection {
            enabled: true,
            config: None,
            seed: 1,
            speed: 1.0,
            templates: false,
        }
    }
}

/// `[storage]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// The data directory: the SQLite file, the Parquet archive and the spill files.
    pub data_dir: PathBuf,
    /// The SQL store: `sqlite://...` or `mysql://...`; empty: `<data_dir>/iceplant.db`.
    pub database_url: String,
    /// The Parquet archive; empty: `<data_dir>/parquet`.
    pub parquet_dir: Option<PathBuf>,
    /// Whether the Parquet archive is written.
    pub parquet: bool,
    /// How far ahead of its receive time a sample's metric time may be and still be current;
    /// later samples are stored flagged (docs/STORAGE.md, "Acceptance window"). Default 300.
    pub future_tolerance_s: u64,
    /// How far behind its receive time a live sample's metric time may be; none by default.
    pub past_tolerance_s: Option<u64>,
    /// How long a write may run before its batch and what waits in memory go to the spill
    /// file, so that a stalled database loses nothing to a crash (docs/RELIABILITY.md).
    /// Default 2000.
    pub stall_timeout_ms: u64,
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection {
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            parquet_dir: None,
            parquet: true,
            future_tolerance_s: 300,
            past_tolerance_s: None,
            stall_timeout_ms: 2000,
        }
    }
}

impl StorageSection {
    /// The SQL store's URL, defaulted into the data directory.
    pub fn database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("iceplant.db").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    /// The Parquet archive's directory, defaulted into the data directory.
    pub fn parquet_dir(&self) -> PathBuf {
        self.parquet_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("parquet"))
    }

    /// The acceptance window of sample times around the receive time.
    pub fn acceptance_window(&self) -> spark_sink::AcceptanceWindow {
        spark_sink::AcceptanceWindow::new(
            std::time::Duration::from_secs(self.future_tolerance_s),
            self.past_tolerance_s.map(std::time::Duration::from_secs),
        )
    }

    /// Where the delivery layer spills when a sink is down.
    pub fn spill_dir(&self) -> PathBuf {
        self.data_dir.join("spill")
    }
}

/// `[api]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSection {
    /// Where the REST API listens.
    pub addr: SocketAddr,
    /// A bearer token; when set, commands (and with `protect_reads` every route) need it.
    pub token: Option<String>,
    /// Whether reads need the token too.
    pub protect_reads: bool,
    /// Host names requests may carry in `Host` (and `Origin`) beside IP addresses and
    /// `localhost`: the names of this machine or of a reverse proxy in front of it; `*` allows
    /// any name (and gives up the DNS-rebinding check). Other names are answered 421.
    pub allowed_hosts: Vec<String>,
}

impl Default for ApiSection {
    fn default() -> Self {
        ApiSection {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            protect_reads: false,
            allowed_hosts: Vec::new(),
        }
    }
}

/// `[reports]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportsSection {
    /// Whether the scheduler runs.
    pub enabled: bool,
    /// How often the scheduler looks for closed windows, in seconds of real time.
    pub every_s: u64,
    /// The jobs.
    pub jobs: Vec<JobConfig>,
}

impl Default for ReportsSection {
    fn default() -> Self {
        ReportsSection {
            enabled: true,
            every_s: 10,
            jobs: vec![
                JobConfig {
                    name: "rollup_1m".to_owned(),
                    kind: JobKind::Rollup,
                    window_s: 60,
                    metrics: Vec::new(),
                },
                JobConfig {
                    name: "rollup_1h".to_owned(),
                    kind: JobKind::Rollup,
                    window_s: 3600,
                    metrics: Vec::new(),
                },
                JobConfig {
                    name: "ice_plant_kpis_1h".to_owned(),
                    kind: JobKind::IcePlantKpis,
                    window_s: 3600,
                    metrics: Vec::new(),
                },
            ],
        }
    }
}

/// One report job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// The job's name: its rows and its watermark are kept under it.
    pub name: String,
    /// What it computes.
    pub kind: JobKind,
    /// The window length in seconds of metric time.
    pub window_s: u64,
    /// For rollups: only metrics whose name contains one of these (empty: every numeric metric).
    #[serde(default)]
    pub metrics: Vec<String>,
}

/// What a report job computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// count, min, max, avg, first, last per metric and window.
    Rollup,
    /// The ice plant KPIs of ICE_PLANT.md per plant and window.
    IcePlantKpis,
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this configuration.
    #[error("the configuration file {path} is not valid: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        source: toml::de::Error,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl AppConfig {
    /// Reads a TOML file over the defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Parses TOML over the defaults.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.sim.speed.is_finite() && self.sim.speed > 0.0) {
            return Err(ConfigError::Invalid(format!(
                "sim.speed must be a positive number, not {}",
                self.sim.speed
            )));
        }
        if self.mqtt.host_id.trim().is_empty() {
            return Err(ConfigError::Invalid(
                "mqtt.host_id must not be empty".to_owned(),
            ));
        }
        // Ids go on the wire: what the id newtypes refuse is refused here, before anything
        // starts (control characters, `+`, `/`, `#`, too many bytes).
        HostId::new(self.mqtt.host_id.as_str()).map_err(|e| {
            ConfigError::Invalid(format!("mqtt.host_id {:?}: {e}", self.mqtt.host_id))
        })?;
        for group in &self.mqtt.groups {
            GroupId::new(group.as_str())
                .map_err(|e| ConfigError::Invalid(format!("mqtt.groups {group:?}: {e}")))?;
        }
        for job in &self.reports.jobs {
            if job.window_s == 0 {
                return Err(ConfigError::Invalid(format!(
                    "report job {:?}: window_s must be at least 1",
                    job.name
                )));
            }
        }
        let mut names: Vec<&str> = self.reports.jobs.iter().map(|j| j.name.as_str()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(ConfigError::Invalid(format!(
                "report job {:?} is defined twice",
                pair[0]
            )));
        }
        Ok(())
    }

    /// The configuration as TOML (`reference-app config`), with the passwords and the token
    /// hidden, those in URLs too ([`redact_url`]).
    pub fn to_toml(&self) -> String {
        let mut shown = self.clone();
        if shown.mqtt.password.is_some() {
            shown.mqtt.password = Some("********".to_owned());
        }
        if shown.api.token.is_some() {
            shown.api.token = Some("********".to_owned());
        }
        shown.mqtt.url = redact_url(&shown.mqtt.url).into_owned();
        shown.storage.database_url = redact_url(&shown.storage.database_url).into_owned();
        // Serialising plain structs of strings, numbers and tables cannot fail.
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_round_trip_through_toml() {
        let config = AppConfig::default();
        let text = toml::to_string_pretty(&config).unwrap();
        assert_eq!(AppConfig::from_toml(&text).unwrap(), config);
        config.validate().unwrap();
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let config = AppConfig::from_toml("[api]\naddr = \"127.0.0.1:9999\"\n").unwrap();
        assert_eq!(config.api.addr.port(), 9999);
        assert_eq!(config.mqtt, MqttSection::default());
    }

    #[test]
    fn an_unknown_key_is_an_error_that_names_it() {
        let err = AppConfig::from_toml("[mqtt]\nulr = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("ulr"), "{err}");
    }

    #[test]
    fn a_wrong_type_is_an_error_with_its_line() {
        let err = AppConfig::from_toml("[sim]\n\nseed = \"one\"\n").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    /// The host's answer to a forged offline STATE and the spill deadline are read from the
    /// file; an unknown answer is an error that names the key.
    #[test]
    fn the_forged_state_answer_and_the_stall_timeout_are_configurable() {
        let config = AppConfig::from_toml(
            "[mqtt]\nown_state_offline = \"republish\"\n[storage]\nstall_timeout_ms = 500\n",
        )
        .unwrap();
        assert_eq!(
            config.mqtt.own_state_offline,
            OwnStateOfflineChoice::Republish
        );
        assert_eq!(
            sparkplug_b::session::host::OwnStateOffline::from(config.mqtt.own_state_offline),
            sparkplug_b::session::host::OwnStateOffline::RepublishSameTimestamp
        );
        assert_eq!(config.storage.stall_timeout_ms, 500);
        let e = AppConfig::from_toml("[mqtt]\nown_state_offline = \"ignore\"\n").unwrap_err();
        assert!(e.to_string().contains("own_state_offline"), "{e}");
    }

    #[test]
    fn bad_values_are_refused() {
        let mut config = AppConfig::default();
        config.sim.speed = 0.0;
        assert!(config.validate().is_err());
        let mut config = AppConfig::default();
        config.reports.jobs.push(config.reports.jobs[0].clone());
        assert!(config.validate().unwrap_err().to_string().contains("twice"));
    }

    // tck-id-host-topic-phid-birth-topic, tck-id-intro-group-id-chars,
    // tck-id-topic-structure-namespace-valid-group-id: ids that cannot go on the wire.
    #[test]
    fn ids_that_cannot_go_on_the_wire_are_refused() {
        let mut config = AppConfig::default();
        config.mqtt.host_id = "host\u{1}".to_owned();
        let e = config.validate().unwrap_err().to_string();
        assert!(
            e.contains("mqtt.host_id") && e.contains("tck-id-host-topic-phid-birth-topic"),
            "{e}"
        );
        let mut config = AppConfig::default();
        config.mqtt.groups = vec!["IcePlant".to_owned(), "a\u{85}b".to_owned()];
        let e = config.validate().unwrap_err().to_string();
        assert!(
            e.contains("mqtt.groups") && e.contains("tck-id-intro-group-id-chars"),
            "{e}"
        );
        let config = AppConfig::from_toml("[mqtt]\ngroups = [\"G/1\"]\n").unwrap();
        let e = config.validate().unwrap_err().to_string();
        assert!(
            e.contains("tck-id-topic-structure-namespace-valid-group-id"),
            "{e}"
        );
    }

    #[test]
    fn secrets_are_hidden_when_printed() {
        let mut config = AppConfig::default();
        config.mqtt.password = Some("hunter2".to_owned());
        config.api.token = Some("s3cret".to_owned());
        config.mqtt.url = "mqtt://plant:hunter3@broker:1883".to_owned();
        config.storage.database_url = "mysql://app:hunter4@db:3306/plant".to_owned();
        let text = config.to_toml();
        for secret in ["hunter2", "s3cret", "hunter3", "hunter4"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        // What is not secret stays readable.
        assert!(text.contains("mqtt://plant:****@broker:1883"), "{text}");
        assert!(text.contains("mysql://app:****@db:3306/plant"), "{text}");
    }

    #[test]
    fn the_database_defaults_into_the_data_dir() {
        let config = AppConfig::default();
        assert!(config.storage.database_url().starts_with("sqlite://"));
        assert!(config.storage.database_url().contains("iceplant.db"));
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    /// The shipped example must parse and equal the defaults it claims to show.
    #[test]
    fn the_example_file_is_the_defaults() {
        let text = include_str!("../iceplant.example.toml");
        assert_eq!(AppConfig::from_toml(text).unwrap(), AppConfig::default());
    }
}
