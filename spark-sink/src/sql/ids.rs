//! The id cache: (group, node) -> node id and (source, metric name) -> metric id, kept in
//! memory so the hot path does no lookups in the database, and filled from it on a miss.
//!
//! Rows are created with insert-or-ignore statements outside the batch transaction, so an id
//! in the cache always names a committed row. A failed write clears the cache anyway.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sparkplug_b::DataType;

use super::db::{Param, Pool};
use super::dialect::placeholders;
use crate::record::Source;

/// What the cache knows of one node or device.
#[derive(Debug, Default)]
pub(crate) struct SourceIds {
    /// The edge node's id.
    pub(crate) node_id: i64,
    /// Metric name to metric id.
    pub(crate) metrics: HashMap<Arc<str>, i64>,
}

/// The cache.
#[derive(Debug, Default)]
pub(crate) struct IdCache {
    nodes: HashMap<(String, String), i64>,
    sources: HashMap<Source, SourceIds>,
}

/// The device column of a source: its device id, or `''` for the edge node itself.
pub(crate) fn device_col(source: &Source) -> &str {
    source.device.as_deref().unwrap_or("")
}

impl IdCache {
    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.nodes.clear();
        self.sources.clear();
    }

    /// The ids known for a source.
    pub(crate) fn source(&self, source: &Source) -> Option<&SourceIds> {
        self.sources.get(source)
    }

    /// The metric id of `metric` of `source`, if known.
    pub(crate) fn metric_id(&self, source: &Source, metric: &str) -> Option<i64> {
        self.sources.get(source)?.metrics.get(metric).copied()
    }

    /// Makes sure every source has its node (and device) row and its metric ids loaded.
    pub(crate) async fn ensure_sources<'a>(
        &mut self,
        pool: &Pool,
        sources: impl IntoIterator<Item = &'a Source>,
    ) -> Result<(), sqlx::Error> {
        let dialect = pool.dialect();
        let mut seen = HashSet::new();
        for source in sources {
            if self.sources.contains_key(source) || !seen.insert(source) {
                continue;
            }
            let key = (source.group.clone(), source.node.clone());
            let node_id = match self.nodes.get(&key) {
                Some(id) => *id,
                None => {
                    let sql = format!(
                        "INSERT INTO sink_nodes (group_id, node) VALUES (?, ?){}",
                        dialect.on_duplicate_ignore("node_id")
                    );
                    let params = [Param::Text(key.0.clone()), Param::Text(key.1.clone())];
                    pool.execute(&sql, &params).await?;
                    let rows = pool
                        .fetch_all(
                            "SELECT node_id FROM sink_nodes WHERE group_id = ? AND node = ?",
                            &params,
                        )
                        .await?;
                    let id = rows
                        .first()
                        .map(|r| r.i64(0))
                        .transpose()?
                        .flatten()
                        .ok_or(sqlx::Error::RowNotFound)?;
                    self.nodes.insert(key, id);
                    id
                }
            };
            if let Some(device) = &source.device {
                let sql = format!(
                    "INSERT INTO sink_devices (node_id, device) VALUES (?, ?){}",
                    dialect.on_duplicate_ignore("node_id")
                );
                pool.execute(&sql, &[Param::I64(node_id), Param::Text(device.clone())])
                    .await?;
            }
            let mut ids = SourceIds {
                node_id,
                metrics: HashMap::new(),
            };
            load_metrics(pool, node_id, device_col(source), &mut ids.metrics).await?;
            self.sources.insert(source.clone(), ids);
        }
        Ok(())
    }

    /// Makes sure every (source, metric) has a catalogue row and a cached id; new rows get
    /// `datatype`. The sources must have been ensured.
    pub(crate) async fn ensure_metrics<'a>(
        &mut self,
        pool: &Pool,
        wanted: impl IntoIterator<Item = (&'a Source, &'a Arc<str>, DataType)>,
    ) -> Result<(), sqlx::Error> {
        let mut missing: HashMap<&Source, Vec<(&Arc<str>, DataType)>> = HashMap::new();
        let mut seen: HashSet<(&Source, &str)> = HashSet::new();
        for (source, metric, datatype) in wanted {
            if self.metric_id(source, metric).is_some() || !seen.insert((source, metric)) {
                continue;
            }
            missing.entry(source).or_default().push((metric, datatype));
        }
        let dialect = pool.dialect();
        for (source, metrics) in missing {
            let Some(ids) = self.sources.get_mut(source) else {
                return Err(sqlx::Error::RowNotFound);
            };
            for chunk in metrics.chunks(500) {
                let sql = format!(
                    "INSERT INTO sink_metrics (node_id, device, name, datatype) VALUES {}{}",
                    placeholders(4, chunk.len()),
                    dialect.on_duplicate_ignore("metric_id")
                );
                let mut params = Vec::with_capacity(chunk.len() * 4);
                for (name, dt) in chunk {
                    params.push(Param::I64(ids.node_id));
                    params.push(Param::Text(device_col(source).to_owned()));
                    params.push(Param::Text(name.to_string()));
                    params.push(Param::I64(dt.code().into()));
                }
                pool.execute(&sql, &params).await?;
            }
            load_metrics(pool, ids.node_id, device_col(source), &mut ids.metrics).await?;
        }
        Ok(())
    }
}

async fn load_metrics(
    pool: &Pool,
    node_id: i64,
    device: &str,
    into: &mut HashMap<Arc<str>, i64>,
) -> Result<(), sqlx::Error> {
    let rows = pool
        .fetch_all(
            "SELECT name, metric_id FROM sink_metrics WHERE node_id = ? AND device = ?",
            &[Param::I64(node_id), Param::Text(device.to_owned())],
        )
        .await?;
    for row in rows {
        if let (Some(name), Some(id)) = (row.text(0)?, row.i64(1)?) {
            into.insert(Arc::from(name), id);
        }
    }
    Ok(())
}
