//! [`SinkStats`]: what a SQL sink wrote and what it refused, by reason.

use std::collections::BTreeMap;

use serde::Serialize;

/// Counters of one SQL sink since it was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SinkStats {
    /// Batches committed.
    pub batches: u64,
    /// Sample rows handed to the database (template members included).
    pub samples: u64,
    /// Sample rows the database reported as written (a replayed sample is not written again;
    /// on MySQL a duplicate may still be counted, as the server reports found rows).
    pub samples_written: u64,
    /// Births stored (replays included).
    pub births: u64,
    /// Events newly stored (replays not counted).
    pub events: u64,
    /// Records left out, by reason: `value_too_large`, `value_unencodable`, `name_too_long`,
    /// `source_id_too_long`.
    pub rejected: BTreeMap<&'static str, u64>,
}

impl SinkStats {
    /// Counts one record left out for `reason`.
    pub(crate) fn reject(&mut self, reason: &'static str) {
        *self.rejected.entry(reason).or_insert(0) += 1;
        tracing::debug!(reason, "A record was not stored.");
    }

    /// All records left out.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}
