//! Hive-style partition paths: `<dataset>/group=<group>/date=<yyyy-mm-dd>/`.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The directory value Hive and Spark use for a missing partition value (events that name no
/// group, such as a violation on a malformed topic).
pub(crate) const DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// Which dataset a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Dataset {
    Samples,
    Events,
    Births,
}

impl Dataset {
    /// The dataset's directory under the archive root.
    pub(crate) fn dir(self) -> &'static str {
        match self {
            Dataset::Samples => "samples",
            Dataset::Events => "events",
            Dataset::Births => "births",
        }
    }
}

/// One partition of one dataset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PartitionKey {
    pub(crate) dataset: Dataset,
    /// The group id, `None` for records that name none.
    pub(crate) group: Option<String>,
    /// Days since 1970-01-01 (UTC) of the record's time.
    pub(crate) day: i64,
}

impl PartitionKey {
    /// The partition's directory, relative to the archive root.
    pub(crate) fn relative_dir(&self) -> PathBuf {
        let group = match &self.group {
            Some(group) => escape(group),
            None => DEFAULT_PARTITION.to_owned(),
        };
        let mut dir = PathBuf::from(self.dataset.dir());
        dir.push(format!("group={group}"));
        dir.push(format!("date={}", date_string(self.day)));
        dir
    }
}

/// Days since the Unix epoch of a time in epoch milliseconds (UTC), flooring for times before
/// 1970.
pub(crate) fn day_of(timestamp_ms: i64) -> i64 {
    timestamp_ms.div_euclid(86_400_000)
}

/// `yyyy-mm-dd` for days since 1970-01-01 (proleptic Gregorian), Howard Hinnant's
/// `civil_from_days`.
pub(crate) fn date_string(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y}-{m:02}-{d:02}")
    }
}

/// The longest escaped partition value kept whole, in bytes. `group=` plus this plus a hash
/// suffix stays far below the 255 bytes most file systems allow in a name.
pub(crate) const MAX_VALUE_BYTES: usize = 128;

/// How many bytes of a longer escaped value are kept before the hash suffix.
const KEPT_PREFIX_BYTES: usize = 100;

/// A partition value as Hive escapes it: every byte outside `[A-Za-z0-9_.-]` (and a leading
/// `.`, which would hide the directory) as `%XX`, so any group id makes one safe directory
/// name that Spark, Trino, DuckDB and pyarrow decode back. A value whose escaped form is
/// longer than [`MAX_VALUE_BYTES`] keeps its first 100 escaped bytes (never cutting a `%XX`)
/// and gets `~` and the 16 hex digits of the 64-bit FNV-1a hash of the whole id appended:
/// bounded, stable across runs and builds, and distinct for ids that share the prefix (`~` is
/// never left plain by the escaping, so the suffix cannot be confused with an id). A group id
/// spelled like Hive's null partition (`__HIVE_DEFAULT_PARTITION__`) has its first byte
/// escaped, so it does not read back as null.
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    // Where each escaped byte starts, to cut at a boundary.
    let mut cut = 0;
    for (i, byte) in value.bytes().enumerate() {
        let plain =
            byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' || (byte == b'.' && i > 0);
        let plain = plain && !(i == 0 && value == DEFAULT_PARTITION);
        if plain {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        if out.len() <= KEPT_PREFIX_BYTES {
            cut = out.len();
        }
    }
    if out.is_empty() {
        out.push_str(DEFAULT_PARTITION);
    } else if out.len() > MAX_VALUE_BYTES {
        out.truncate(cut);
        let _ = write!(out, "~{:016x}", fnv1a64(value.as_bytes()));
    }
    out
}

/// 64-bit FNV-1a: the same on every platform and build.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date_string(0), "1970-01-01");
        assert_eq!(date_string(day_of(1_700_000_000_000)), "2023-11-14");
        assert_eq!(date_string(day_of(951_782_400_000)), "2000-02-29");
        assert_eq!(date_string(day_of(-1)), "1969-12-31");
        assert_eq!(day_of(86_399_999), 0);
        assert_eq!(day_of(86_400_000), 1);
        // Extreme times do not panic.
        let _ = date_string(day_of(i64::MAX));
        let _ = date_string(day_of(i64::MIN));
    }

    #[test]
    fn long_group_ids_get_a_bounded_stable_distinct_name() {
        let long = "g".repeat(300);
        let name = escape(&long);
        assert_eq!(name.len(), 100 + 1 + 16);
        assert!(name.starts_with(&"g".repeat(100)), "{name}");
        assert_eq!(name, escape(&long), "stable");
        let suffix = &name[100..];
        assert!(suffix.starts_with('~'), "{name}");
        assert!(suffix[1..].bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
        let other = format!("{}h", "g".repeat(299));
        assert_ne!(escape(&other), name, "distinct ids, distinct names");
        // A cut never splits an escape: 60 bytes of two-byte characters escape to 360.
        let wide = "é".repeat(60);
        let name = escape(&wide);
        let prefix = name.split('~').next().unwrap();
        assert_eq!(prefix.len() % 3, 0, "{name}");
        assert!(
            prefix.len() <= 100 && name.len() <= MAX_VALUE_BYTES,
            "{name}"
        );
        // Exactly at the limit it is kept whole.
        assert_eq!(
            escape(&"x".repeat(MAX_VALUE_BYTES)),
            "x".repeat(MAX_VALUE_BYTES)
        );
        let key = PartitionKey {
            dataset: Dataset::Samples,
            group: Some("g".repeat(10_000)),
            day: 0,
        };
        let dir = key.relative_dir();
        assert!(
            dir.components().all(|c| c.as_os_str().len() <= 255),
            "{dir:?}"
        );
    }

    #[test]
    fn group_ids_escape_to_one_safe_directory() {
        assert_eq!(escape("Plant-1_a.b"), "Plant-1_a.b");
        assert_eq!(escape("a b=c/%"), "a%20b%3Dc%2F%25");
        assert_eq!(escape(".."), "%2E.");
        assert_eq!(escape("é"), "%C3%A9");
        assert_eq!(escape(""), DEFAULT_PARTITION);
        assert_eq!(escape("a\u{1}b\n"), "a%01b%0A");
        assert_eq!(escape("="), "%3D");
        assert_eq!(escape(DEFAULT_PARTITION), "%5F_HIVE_DEFAULT_PARTITION__");
        let key = PartitionKey {
            dataset: Dataset::Samples,
            group: Some("Ice Plant".into()),
            day: 0,
        };
        assert_eq!(
            key.relative_dir(),
            PathBuf::from("samples/group=Ice%20Plant/date=1970-01-01")
        );
    }
}
