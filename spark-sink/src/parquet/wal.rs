//! The write-ahead log of one open Parquet file: the rows of a file that is still open are
//! only in memory and in a footerless `.tmp`, so each write appends them, encoded, to a
//! sidecar `.part-….parquet.wal` first. The log is removed once its file is closed and
//! renamed; a log found at start means its file never closed, and its records are written
//! again ([`recover`]).
//!
//! ```text
//! log   = frame*
//! frame = len:u32 checksum:u32 batch      (little endian; checksum = FNV-1a of batch;
//!                                          batch in the spill codec's encoding)
//! ```
//!
//! A frame is appended whole with one write; the log is `fsync`ed at most once a second, at
//! a write (so a crash of the process loses nothing, an OS crash at most about a second).
//! A torn last frame ends the readable part.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::ParquetError;
use crate::delivery::codec::{decode_batch, encode_records};
use crate::record::Record;

/// How often an appended log is made durable.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// The suffix of a log beside its `.part-….parquet.tmp`.
pub(crate) const SUFFIX: &str = ".wal";

/// An open file's log.
pub(crate) struct Wal {
    path: PathBuf,
    file: File,
    len: u64,
    last_sync: Instant,
}

impl Wal {
    /// Creates the log at `path`.
    pub(crate) fn create(path: PathBuf) -> Result<Wal, ParquetError> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| ParquetError::io(&path, e))?;
        Ok(Wal {
            path,
            file,
            len: 0,
            last_sync: Instant::now(),
        })
    }

    /// The log's length now (to [`Wal::truncate`] back to).
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Appends records as one frame.
    pub(crate) fn append(&mut self, records: &[&Record]) -> Result<(), ParquetError> {
        let mut batch = Vec::new();
        encode_records(records, 0, &mut batch);
        let Ok(len) = u32::try_from(batch.len()) else {
            return Err(ParquetError::io(
                &self.path,
                std::io::Error::other("a write-ahead frame over 4 GiB"),
            ));
        };
        let mut frame = Vec::with_capacity(batch.len() + 8);
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(&fnv1a(&batch).to_le_bytes());
        frame.extend_from_slice(&batch);
        if let Err(e) = self.file.write_all(&frame) {
            let _ = self.truncate(self.len);
            return Err(ParquetError::io(&self.path, e));
        }
        self.len += frame.len() as u64;
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.file
                .sync_data()
                .map_err(|e| ParquetError::io(&self.path, e))?;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    /// Cuts the log back to `len` bytes (the frames of a write that failed).
    pub(crate) fn truncate(&mut self, len: u64) -> Result<(), ParquetError> {
        self.file
            .set_len(len)
            .map_err(|e| ParquetError::io(&self.path, e))?;
        // The file is opened for writing without append: move the cursor back as well.
        std::io::Seek::seek(&mut self.file, std::io::SeekFrom::Start(len))
            .map_err(|e| ParquetError::io(&self.path, e))?;
        self.len = len;
        Ok(())
    }

    /// Removes the log (its file was closed and renamed).
    pub(crate) fn remove(self) {
        let path = self.path;
        drop(self.file);
        if let Err(e) = fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %e, "A Parquet write-ahead log could not be removed; the next start removes it.");
        }
    }
}

/// What [`recover`] found under the archive root.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Records of files that never closed, to write again.
    pub(crate) records: Vec<Record>,
    /// Logs (and `.tmp` files) to remove once those records are written.
    pub(crate) leftovers: Vec<PathBuf>,
    /// Logs whose file did close (a crash between the rename and the log's removal): removed.
    pub(crate) already_closed: u64,
    /// `.tmp` files with no log (a build without logs, or a file abandoned after an IO
    /// error): their rows cannot be read back; removed.
    pub(crate) orphaned_tmp: u64,
}

/// Scans `root/<dataset>/<group>/<date>/` for logs and `.tmp` files left by a crash.
pub(crate) fn recover(root: &Path) -> Found {
    let mut found = Found::default();
    for dataset in ["samples", "events", "births"] {
        for group in subdirs(&root.join(dataset)) {
            for day in subdirs(&group) {
                scan_partition(&day, &mut found);
            }
        }
    }
    found
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect()
}

fn scan_partition(dir: &Path, found: &mut Found) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    for name in &names {
        // `.part-….parquet.wal` beside `.part-….parquet.tmp`, final name `part-….parquet`.
        let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(SUFFIX)) else {
            continue;
        };
        let log = dir.join(name);
        let tmp = dir.join(format!(".{stem}.tmp"));
        if dir.join(stem).exists() {
            found.already_closed += 1;
            let _ = fs::remove_file(&log);
            let _ = fs::remove_file(&tmp);
            continue;
        }
        read_log(&log, &mut found.records);
        found.leftovers.push(log);
        if tmp.exists() {
            found.leftovers.push(tmp);
        }
    }
    for name in &names {
        let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
            continue;
        };
        if !names.contains(&format!(".{stem}{SUFFIX}")) {
            let tmp = dir.join(name);
            tracing::warn!(path = %tmp.display(), "A Parquet file left open by a crash, with no write-ahead log, is removed.");
            found.orphaned_tmp += 1;
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Reads every whole, intact frame of a log; a torn or damaged frame ends it.
fn read_log(path: &Path, out: &mut Vec<Record>) {
    let mut bytes = Vec::new();
    if let Err(e) = File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)) {
        tracing::error!(path = %path.display(), error = %e, "A Parquet write-ahead log could not be read.");
        return;
    }
    let mut at = 0usize;
    while let Some(header) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let sum = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let Some(batch) = bytes.get(at + 8..at + 8 + len) else {
            break;
        };
        if fnv1a(batch) != sum {
            tracing::warn!(path = %path.display(), offset = at, "A Parquet write-ahead log has a damaged frame; the rest is not replayed.");
            break;
        }
        match decode_batch(batch) {
            Ok((batch, _)) => out.extend(batch.records),
            Err(e) => {
                tracing::warn!(path = %path.display(), offset = at, error = %e, "A Parquet write-ahead frame did not decode; it is skipped.");
            }
        }
        at += 8 + len;
    }
}

/// 32-bit FNV-1a: enough to notice a damaged frame.
fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}
