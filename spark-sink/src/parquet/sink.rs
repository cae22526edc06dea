//! [`ParquetSink`]: the archive as a [`Sink`].

use async_trait::async_trait;

use super::config::ParquetConfig;
use super::error::ParquetError;
use super::writer::{ParquetStats, ParquetWriter};
use crate::error::SinkError;
use crate::record::Batch;
use crate::sink::Sink;

/// The Parquet archive as a [`Sink`]: a [`ParquetWriter`] behind the async trait.
///
/// The writing is synchronous (encoding is CPU work, the files are local). On a multi-thread
/// tokio runtime it runs in [`tokio::task::block_in_place`], so the runtime moves its other
/// tasks to another thread meanwhile; on a current-thread runtime it runs inline. `flush` closes every open file (use it sparingly: each flush ends files);
/// `close` does the same and refuses later writes.
///
/// Parquet files are append-only: the sink does not deduplicate. The delivery pipeline writes a
/// batch again only after an error, and this sink's errors leave nothing of the failed batch
/// in a file that is closed later (rejections are checked, and every partition file opened,
/// before anything is appended; an IO error abandons its file), so replays do not duplicate
/// rows here. Rows of files still open are in their write-ahead logs until the files close,
/// and a sink made on the same root after a crash writes them again.
pub struct ParquetSink {
    name: String,
    writer: ParquetWriter,
}

impl ParquetSink {
    /// A sink named `parquet` writing under `config.root`.
    pub fn new(config: ParquetConfig) -> Result<Self, SinkError> {
        Self::with_name("parquet", config)
    }

    /// A sink with another name (for several archives).
    pub fn with_name(name: impl Into<String>, config: ParquetConfig) -> Result<Self, SinkError> {
        let name = name.into();
        let writer = ParquetWriter::new(config).map_err(|e| match e {
            ParquetError::Io { path, source } => SinkError::Config {
                sink: name.clone(),
                message: format!("cannot create {}", path.display()),
                source: Some(Box::new(source)),
            },
            other => other.into_sink_error(&name),
        })?;
        Ok(ParquetSink { name, writer })
    }

    /// What the writer has done so far.
    pub fn stats(&self) -> ParquetStats {
        self.writer.stats()
    }
}

/// Runs CPU- and disk-bound work without stalling a multi-thread runtime's other tasks.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[async_trait]
impl Sink for ParquetSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        blocking(|| self.writer.write(batch))
            .map(drop)
            .map_err(|e| e.into_sink_error(&self.name))
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        blocking(|| self.writer.flush())
            .map(drop)
            .map_err(|e| e.into_sink_error(&self.name))
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        blocking(|| self.writer.close())
            .map(drop)
            .map_err(|e| e.into_sink_error(&self.name))
    }

    async fn healthcheck(&mut self) -> Result<(), SinkError> {
        let root = &self.writer.config().root;
        let probe = root.join(".healthcheck");
        std::fs::write(&probe, b"ok")
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|e| SinkError::Unavailable {
                sink: self.name.clone(),
                message: format!("{} is not writable", root.display()),
                source: Some(Box::new(e)),
            })
    }
}
