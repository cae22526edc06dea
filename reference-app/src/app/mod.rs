//! Assembling the pipeline: which parts run for a subcommand, starting them in dependency
//! order, and stopping them in the order that loses nothing.
//!
//! ```text
//!   start:    store ─► sinks + delivery ─► broker ─► host + ingest ─► simulator ─► reports ─► API
//!   shutdown: simulator (NDEATHs) ─► host (STATE offline; its events drain into ingest)
//!             ─► delivery (flush and close every sink) ─► reports ─► API ─► store
//! ```

mod delivery;
mod ingest;
mod sim;
mod status;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use spark_sink::Store;
use spark_sink::sql::SqlStore;
use sparkplug_b::driver::{
    BrokerUrl, EventOverflow, HostHandle, HostRunner, MqttConfig, redact_url,
};
use sparkplug_b::session::{HostApplication, HostConfig};
use sparkplug_b::topic::HostId;
use sparkplug_sim::SimHandle;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::{self, ApiState, Commands, HostCommands};
use crate::broker;
use crate::cli::Command;
use crate::config::AppConfig;
use crate::reports;
use crate::telemetry::Telemetry;
use delivery::Delivery;

/// Which parts of the pipeline run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// The embedded MQTT broker (only when no `--mqtt-url` is given).
    pub broker: bool,
    /// The simulator.
    pub sim: bool,
    /// The host application, the sinks and the ingest loop.
    pub ingest: bool,
    /// The report scheduler.
    pub reports: bool,
    /// The REST API.
    pub api: bool,
}

impl Parts {
    /// Everything (`run`).
    pub const ALL: Parts = Parts {
        broker: true,
        sim: true,
        ingest: true,
        reports: true,
        api: true,
    };

    /// The parts of a subcommand, before the configuration switches any off.
    pub fn of(command: &Command) -> Parts {
        let none = Parts {
            broker: false,
            sim: false,
            ingest: false,
            reports: false,
            api: false,
        };
        match command {
            Command::Run => Parts::ALL,
            Command::Sim => Parts {
                broker: true,
                sim: true,
                ..none
            },
            Command::Ingest => Parts {
                broker: true,
                ingest: true,
                reports: true,
                ..none
            },
            Command::Serve => Parts { api: true, ..none },
            _ => none,
        }
    }
}

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct StartError(#[from] anyhow::Error);

/// A running app. Dropping it without [`Running::shutdown`] abandons its tasks.
pub struct Running {
    /// Where the REST API listens, when it runs.
    pub api_addr: Option<SocketAddr>,
    /// The broker everything connects to.
    pub broker: BrokerUrl,
    telemetry: Arc<Telemetry>,
    sim: Option<SimHandle>,
    host: Option<(HostHandle, JoinHandle<()>)>,
    ingest: Option<JoinHandle<()>>,
    delivery: Option<Delivery>,
    store: Option<SqlStore>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("api_addr", &self.api_addr)
            .field("broker", &self.broker)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// The simulator, when it runs in this process (to read its plants or inject faults).
    pub fn sim(&self) -> Option<&SimHandle> {
        self.sim.as_ref()
    }

    /// Metric values the host application has received so far.
    pub fn metrics_received(&self) -> u64 {
        Telemetry::get(&self.telemetry.metrics)
    }

    /// Per sink: its name, the records it has written and its lag in ms (as of the last
    /// second).
    pub fn sink_progress(&self) -> Vec<(String, u64, u64)> {
        self.telemetry
            .sinks()
            .into_iter()
            .map(|s| (s.name, s.rows_written, s.lag_ms))
            .collect()
    }

    /// The status line: nodes online, metrics received, rows written, seq gaps, lag.
    pub fn status(&self) -> String {
        status::line(&self.telemetry, None)
    }

    /// Stops every part in the order that loses nothing: the simulator (its NDEATHs), the host (STATE offline, its events drained), the sinks (flushed and closed), then reports and API.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(sim) = self.sim.take() {
            match sim.stop().await {
                Ok(_) => tracing::info!("The simulator stopped (its edge nodes sent NDEATH)."),
                Err(e) => tracing::warn!(error = %e, "The simulator did not stop cleanly."),
            }
            // Let the deaths reach the host before it leaves.
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        if let Some((host, task)) = self.host.take() {
            host.shutdown().await;
            let _ = task.await;
        }
        if let Some(ingest) = self.ingest.take() {
            let _ = ingest.await;
        }
        if let Some(delivery) = self.delivery.take() {
            delivery.shutdown(&self.telemetry).await;
        }
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        if let Some(store) = self.store.take() {
            store.close().await;
        }
        Ok(())
    }
}

fn mqtt_config(config: &AppConfig) -> Result<MqttConfig> {
    // Without --mqtt-url the parts talk to the embedded broker's address (serve mode talks to
    // no broker at all, and only shows the address).
    let addr = config.mqtt.broker_addr;
    let url = match config.mqtt.embedded() {
        true => BrokerUrl::new(addr.ip().to_string(), addr.port()),
        false => config
            .mqtt
            .url
            .parse()
            .with_context(|| format!("--mqtt-url {:?}", redact_url(&config.mqtt.url)))?,
    };
    let mut mqtt = MqttConfig::new(url).with_max_packet_size(16 << 20);
    if let (Some(user), Some(password)) = (&config.mqtt.username, &config.mqtt.password) {
        mqtt = mqtt.with_credentials(user.clone(), password.clone());
    }
    if let Some(ca) = &config.mqtt.ca_file {
        let pem = std::fs::read(ca)
            .with_context(|| format!("cannot read the CA file {}", ca.display()))?;
        mqtt = mqtt.with_ca_pem(pem);
    }
    Ok(mqtt)
}

/// Starts `parts` of the pipeline as `config` says.
pub async fn start(config: &AppConfig, parts: Parts) -> Result<Running, StartError> {
    Ok(start_inner(config, parts).await?)
}

async fn start_inner(config: &AppConfig, parts: Parts) -> Result<Running> {
    let parts = Parts {
        sim: parts.sim && config.sim.enabled,
        reports: parts.reports && config.reports.enabled,
        broker: parts.broker && config.mqtt.embedded(),
        ..parts
    };
    let telemetry = Arc::new(Telemetry::default());
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let needs_store = parts.ingest || parts.api || parts.reports;
    std::fs::create_dir_all(&config.storage.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.storage.data_dir.display()
        )
    })?;
    let store = if needs_store {
        let url = config.storage.database_url();
        Some(
            SqlStore::connect(&url)
                .await
                .with_context(|| "cannot open the SQL store".to_owned())?,
        )
    } else {
        None
    };
    let query: Option<Arc<dyn Store>> = store
        .as_ref()
        .map(|s| Arc::new(s.query()) as Arc<dyn Store>);

    if parts.broker {
        let addr = config.mqtt.broker_addr;
        tokio::task::spawn_blocking(move || broker::start(addr, 10_000)).await??;
    }
    let mqtt = mqtt_config(config)?;
    let broker = mqtt.broker.clone();

    let newest_metric_ms = Arc::new(AtomicI64::new(i64::MIN));
    let live = crate::live::channel();
    let (mut host, mut ingest, mut delivery) = (None, None, None);
    if parts.ingest {
        let Some(store) = &store else {
            return Err(no_store());
        };
        let pipeline = Delivery::start(config, store, &telemetry).await?;
        let host_id = HostId::new(config.mqtt.host_id.clone()).context("--host-id")?;
        let app = HostApplication::new(
            HostConfig::new(host_id).with_own_state_offline(config.mqtt.own_state_offline.into()),
        );
        let host_mqtt = mqtt.clone().with_events(65_536, EventOverflow::Wait);
        let (runner, handle, events) = HostRunner::new(app, host_mqtt);
        let runner_task = runner.spawn();
        let host_task = tokio::spawn(async move {
            match runner_task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "The host application stopped."),
                Err(e) => tracing::error!(error = %e, "The host application task failed."),
            }
        });
        ingest = Some(tokio::spawn(ingest::run(
            events,
            pipeline.sender(),
            config.mqtt.groups.clone(),
            Arc::clone(&telemetry),
            Arc::clone(&newest_metric_ms),
            live.clone(),
            acceptance_window(config, &parts),
        )));
        let mirror = tokio::spawn(ingest::mirror_host_stats(
            handle.clone(),
            Arc::clone(&telemetry),
        ));
        // The mirror ends with the host runner; nothing waits for it.
        drop(mirror);
        host = Some((handle, host_task));
        delivery = Some(pipeline);
    }

    let sim = if parts.sim {
        Some(sim::spawn(config, mqtt.clone())?)
    } else {
        None
    };

    if parts.reports {
        if let Some(query) = &query {
            let newest = Arc::clone(&newest_metric_ms);
            // Ingest follows only samples inside the acceptance window; with real-time data
            // the wall clock bounds the close time too, so nothing dated ahead moves a
            // watermark past now. A fast-forward simulator is ahead of the clock on purpose.
            let bounded_by_clock = acceptance_window(config, &parts).future != Duration::MAX;
            tasks.push(tokio::spawn(reports::schedule(
                Arc::clone(query),
                config.reports.jobs.clone(),
                Duration::from_secs(config.reports.every_s.max(1)),
                move || {
                    let newest = Some(newest.load(Ordering::Relaxed)).filter(|&t| t != i64::MIN)?;
                    Some(if bounded_by_clock {
                        newest.min(ingest::now_ms())
                    } else {
                        newest
                    })
                },
                stop_rx.clone(),
            )));
        }
    }

    let mut api_addr = None;
    if parts.api {
        let Some(query) = &query else {
            return Err(no_store());
        };
        let commands = host
            .as_ref()
            .map(|(handle, _)| Arc::new(HostCommands::new(handle.clone())) as Arc<dyn Commands>);
        let state = ApiState::new(
            Arc::clone(query),
            commands,
            Arc::clone(&telemetry),
            config.reports.jobs.clone(),
        )
        .with_token(config.api.token.clone(), config.api.protect_reads)
        .with_allowed_hosts(&config.api.allowed_hosts);
        let state = if host.is_some() {
            state.with_live(live.clone())
        } else {
            state
        };
        // /readyz and the store-backed routes read the store's health from this probe, so
        // they answer at once while the database is down.
        tasks.push(tokio::spawn(api::ops::watch_store(
            Arc::clone(&telemetry),
            api::ops::probe(Arc::clone(query)),
            stop_rx.clone(),
        )));
        let listener = tokio::net::TcpListener::bind(config.api.addr)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {} for the REST API (use --api-addr to pick another address)",
                    config.api.addr
                )
            })?;
        api_addr = Some(listener.local_addr()?);
        let mut stop_api = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop_api.changed().await;
            };
            if let Err(e) = axum::serve(listener, api::router(state))
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "The REST API stopped.");
            }
        }));
    }

    Ok(Running {
        api_addr,
        broker,
        telemetry,
        sim,
        host,
        ingest,
        delivery,
        store,
        stop,
        tasks,
    })
}

fn no_store() -> anyhow::Error {
    anyhow::anyhow!("internal error: a part that needs the store started without one")
}

/// Runs a subcommand until Ctrl-C or SIGTERM.
pub(crate) async fn main(config: AppConfig, command: Command) -> Result<()> {
    match &command {
        Command::Monitor(args) => return crate::tools::monitor::run(&config, args).await,
        Command::Report(args) => return reports_command(&config, args).await,
        Command::Decode(args) => return crate::tools::decode::run(args),
        Command::Config => {
            crate::tools::output::print(&config.to_toml())?;
            return Ok(());
        }
        _ => {}
    }
    let running = start(&config, Parts::of(&command)).await?;
    print_banner(&config, &running);
    let mut status_every = tokio::time::interval(Duration::from_secs(5));
    status_every.tick().await;
    let mut last = status::Sample::now(&running.telemetry);
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            () = &mut signal => break,
            _ = status_every.tick() => {
                let sim = running.sim.as_ref().map(|s| s.stats());
                eprintln!("{}", status::line(&running.telemetry, Some((&mut last, sim))));
            }
        }
    }
    eprintln!("Shutting down: simulator deaths, host STATE offline, flushing the sinks...");
    let telemetry = Arc::clone(&running.telemetry);
    running.shutdown().await?;
    match status::unwritten(&telemetry) {
        None => eprintln!("Stopped cleanly."),
        Some(unwritten) => eprintln!("Stopped. Not everything was written: {unwritten}."),
    }
    Ok(())
}

fn print_banner(config: &AppConfig, running: &Running) {
    eprintln!("Ice plant reference app {}", env!("CARGO_PKG_VERSION"));
    let kind = if config.mqtt.embedded() {
        "embedded broker"
    } else {
        "external broker"
    };
    // `serve` reads the store only: it has no broker to show.
    if running.sim.is_some() || running.host.is_some() {
        eprintln!(
            "  MQTT      mqtt://{}:{} ({kind})",
            running.broker.host(),
            running.broker.port()
        );
    }
    if let Some(addr) = running.api_addr {
        eprintln!(
            "  REST API  http://{addr}/api/v1/nodes   (OpenAPI: http://{addr}/api/v1/openapi.json)"
        );
        eprintln!("  Metrics   http://{addr}/metrics");
    }
    if running.store.is_some() {
        let url = config.storage.database_url();
        eprintln!("  Store     {}", redact_url(&url));
        if config.storage.parquet {
            eprintln!("  Parquet   {}", config.storage.parquet_dir().display());
        }
    }
    if running.sim.is_some() {
        eprintln!(
            "  Simulator seed {}, speed {}x",
            config.sim.seed, config.sim.speed
        );
    }
    eprintln!("Ctrl-C stops it cleanly.");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

async fn reports_command(config: &AppConfig, args: &crate::cli::ReportArgs) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let from = api::time::parse_time(&args.from, now)
        .map_err(anyhow::Error::msg)
        .context("--from")?;
    let to = match &args.to {
        Some(t) => api::time::parse_time(t, now)
            .map_err(anyhow::Error::msg)
            .context("--to")?,
        None => now,
    };
    anyhow::ensure!(from < to, "--from must be before --to");
    let jobs: Vec<_> = config
        .reports
        .jobs
        .iter()
        .filter(|j| args.job.as_ref().is_none_or(|name| &j.name == name))
        .collect();
    anyhow::ensure!(
        !jobs.is_empty(),
        "no report job named {:?} is configured",
        args.job.as_deref().unwrap_or("")
    );
    let store = SqlStore::connect(&config.storage.database_url())
        .await
        .context("cannot open the SQL store")?;
    let query = store.query();
    for job in jobs {
        let progress = reports::backfill(
            &query,
            job,
            spark_sink::TimeRange::new(from, to),
            |done, total| {
                let width = 30usize;
                let filled = if total == 0 {
                    width
                } else {
                    (done as usize * width / total as usize).min(width)
                };
                eprint!(
                    "\r{:<24} [{}{}] {done}/{total} windows",
                    job.name,
                    "#".repeat(filled),
                    " ".repeat(width - filled)
                );
            },
        )
        .await?;
        eprintln!(
            "\r{:<24} {} windows, {} rows{}",
            job.name,
            progress.windows,
            progress.rows,
            " ".repeat(30)
        );
    }
    store.close().await;
    Ok(())
}

/// The acceptance window of sample times (docs/STORAGE.md). An in-process simulator running
/// faster than real time dates its samples ahead of the wall clock on purpose: then there is
/// no future bound, or every sample would be flagged.
fn acceptance_window(config: &AppConfig, parts: &Parts) -> spark_sink::AcceptanceWindow {
    let window = config.storage.acceptance_window();
    if parts.sim && config.sim.speed > 1.0 {
        return spark_sink::AcceptanceWindow::new(Duration::MAX, window.past);
    }
    window
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bad `--mqtt-url` is an error that does not repeat its password.
    #[test]
    fn a_bad_mqtt_url_error_masks_the_password() {
        let mut config = AppConfig::default();
        for url in [
            "mqtt://plant:hunter2@broker:1883",
            "plant:hunter2@broker:1883",
        ] {
            config.mqtt.url = url.to_owned();
            let error = mqtt_config(&config).err().map(|e| format!("{e:#}"));
            let error = error.unwrap_or_default();
            assert!(error.contains("plant:****@broker"), "{error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }
}
