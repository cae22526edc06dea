//! The spill file: an append-only log of encoded batches on local disk, read back in order.
//!
//! ```text
//! file  = "SPKSPIL1" frame*
//! frame = len:u32 checksum:u32 batch      (little endian; checksum = FNV-1a of batch)
//! ```
//!
//! A frame is appended whole with one write and is readable once `append` returns; it is
//! durable (survives an OS crash or power loss, not only a crash of the process) once the
//! pipeline's periodic `fsync` ran, at most about a second later, and at shutdown. A frame
//! is consumed only when its batch was written to the sink ([`Spill::commit`]); when every
//! frame is consumed the file is truncated back to its header. A file left by an earlier run
//! is replayed from its first frame (at least once: the sinks make replays no-ops). A torn last
//! frame (a crash in the middle of a write) ends the readable part.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"SPKSPIL1";
const FRAME_HEADER: u64 = 8;

/// Why the spill file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpillError {
    /// A file operation failed.
    #[error("spill file {}: {source}", path.display())]
    Io {
        /// The spill file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but is not a spill file.
    #[error("{} is not a spill file (bad header)", path.display())]
    NotASpillFile {
        /// The file.
        path: PathBuf,
    },
}

/// What reading the next frame gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A frame's bytes, and the offset after it (to [`Spill::commit`] once written).
    Batch(Vec<u8>, u64),
    /// A frame whose checksum does not match: skipped up to the offset.
    Corrupt(u64),
    /// Nothing more to read.
    End,
}

/// One sink's spill file.
#[derive(Debug)]
pub(crate) struct Spill {
    path: PathBuf,
    file: File,
    /// Offset after the last complete frame.
    end: u64,
    /// Offset of the first frame not yet consumed.
    read: u64,
    max_bytes: u64,
    /// Frames were appended since the last [`Spill::sync_handle`].
    unsynced: bool,
    /// Records in the frames not yet consumed (a file left by an earlier run included).
    pending_records: u64,
}

impl Spill {
    /// Opens (or creates) the spill file at `path`; frames left by an earlier run are pending.
    pub(crate) fn open(path: &Path, max_bytes: u64) -> Result<Spill, SpillError> {
        let io = |source| SpillError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len == 0 {
            file.write_all(MAGIC).map_err(io)?;
        } else {
            let mut magic = [0u8; 8];
            let read = file.read_exact(&mut magic);
            if read.is_err() || &magic != MAGIC {
                return Err(SpillError::NotASpillFile {
                    path: path.to_owned(),
                });
            }
        }
        let mut spill = Spill {
            path: path.to_owned(),
            file,
            end: MAGIC.len() as u64,
            read: MAGIC.len() as u64,
            max_bytes,
            unsynced: false,
            pending_records: 0,
        };
        spill.end = spill.scan_end(len.max(MAGIC.len() as u64)).map_err(io)?;
        spill.pending_records = spill.records_between(spill.read, spill.end).map_err(io)?;
        if spill.end < len {
            tracing::warn!(path = %path.display(), torn_bytes = len - spill.end, "The spill file ends in a torn frame; it is cut off.");
            spill.file.set_len(spill.end).map_err(io)?;
        }
        Ok(spill)
    }

    /// The offset after the last complete frame of a file `len` bytes long.
    fn scan_end(&mut self, len: u64) -> std::io::Result<u64> {
        let mut at = MAGIC.len() as u64;
        loop {
            if at + FRAME_HEADER > len {
                return Ok(at);
            }
            self.file.seek(SeekFrom::Start(at))?;
            let mut header = [0u8; 8];
            self.file.read_exact(&mut header)?;
            let frame_len = u64::from(u32::from_le_bytes([
                header[0], header[1], header[2], header[3],
            ]));
            if at + FRAME_HEADER + frame_len > len {
                return Ok(at);
            }
            at += FRAME_HEADER + frame_len;
        }
    }

    /// The records of the frames in `from..to` (frame boundaries), read from each frame's
    /// batch header (`submitted_at_ms:i64 count:u32`, see the codec); a frame too short to
    /// hold one counts none.
    fn records_between(&mut self, from: u64, to: u64) -> std::io::Result<u64> {
        let mut at = from;
        let mut records = 0;
        while at + FRAME_HEADER <= to {
            self.file.seek(SeekFrom::Start(at))?;
            let mut header = [0u8; 20];
            let n = self.file.read(&mut header)?;
            if n < 8 {
                break;
            }
            let frame_len = u64::from(u32::from_le_bytes([
                header[0], header[1], header[2], header[3],
            ]));
            if n >= 20 && frame_len >= 12 {
                records += u64::from(u32::from_le_bytes([
                    header[16], header[17], header[18], header[19],
                ]));
            }
            at += FRAME_HEADER + frame_len;
        }
        Ok(records)
    }

    /// Records in the frames not yet consumed.
    pub(crate) fn pending_records(&self) -> u64 {
        self.pending_records
    }

    /// Bytes of frames not yet consumed.
    pub(crate) fn pending_bytes(&self) -> u64 {
        self.end - self.read
    }

    /// Whether every frame was consumed.
    pub(crate) fn is_drained(&self) -> bool {
        self.read >= self.end
    }

    /// Appends one encoded batch. `Ok(false)` when it does not fit in the size limit (nothing
    /// is written).
    pub(crate) fn append(&mut self, batch: &[u8]) -> Result<bool, SpillError> {
        let frame_len = FRAME_HEADER + batch.len() as u64;
        let too_long = u32::try_from(batch.len()).is_err();
        if too_long || self.pending_bytes() + frame_len > self.max_bytes {
            return Ok(false);
        }
        let mut frame = Vec::with_capacity(frame_len as usize);
        frame.extend_from_slice(&(batch.len() as u32).to_le_bytes());
        frame.extend_from_slice(&fnv1a(batch).to_le_bytes());
        frame.extend_from_slice(batch);
        let io = |source| SpillError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.seek(SeekFrom::Start(self.end)).map_err(io)?;
        if let Err(e) = self.file.write_all(&frame) {
            // Cut off whatever part of the frame made it, so the log stays well formed.
            let _ = self.file.set_len(self.end);
            return Err(io(e));
        }
        self.end += frame_len;
        self.unsynced = true;
        if let Some(count) = batch.get(8..12) {
            self.pending_records +=
                u64::from(u32::from_le_bytes([count[0], count[1], count[2], count[3]]));
        }
        Ok(true)
    }

    /// A second handle on the file to make the frames appended so far durable with
    /// `sync_data`, so the caller can wait for the disk without holding the lane's lock;
    /// `None` when nothing was appended since the last call.
    pub(crate) fn sync_handle(&mut self) -> Option<std::io::Result<File>> {
        if !self.unsynced {
            return None;
        }
        self.unsynced = false;
        Some(self.file.try_clone())
    }

    /// Reads the frame at the read offset (without consuming it).
    pub(crate) fn peek(&mut self, at: u64) -> Result<Frame, SpillError> {
        let at = at.max(self.read);
        if at + FRAME_HEADER > self.end {
            return Ok(Frame::End);
        }
        let io = |source| SpillError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.seek(SeekFrom::Start(at)).map_err(io)?;
        let mut header = [0u8; 8];
        self.file.read_exact(&mut header).map_err(io)?;
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let sum = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let next = at + FRAME_HEADER + u64::from(len);
        if next > self.end {
            return Ok(Frame::End);
        }
        let mut batch = vec![0u8; len as usize];
        self.file.read_exact(&mut batch).map_err(io)?;
        if fnv1a(&batch) != sum {
            return Ok(Frame::Corrupt(next));
        }
        Ok(Frame::Batch(batch, next))
    }

    /// Consumes the frames before `offset`; truncates the file when everything is consumed.
    pub(crate) fn commit(&mut self, offset: u64) -> Result<(), SpillError> {
        let offset = offset.clamp(self.read, self.end);
        let consumed =
            self.records_between(self.read, offset)
                .map_err(|source| SpillError::Io {
                    path: self.path.clone(),
                    source,
                })?;
        self.pending_records = self.pending_records.saturating_sub(consumed);
        self.read = offset;
        if self.is_drained() {
            self.pending_records = 0;
            self.file
                .set_len(MAGIC.len() as u64)
                .map_err(|source| SpillError::Io {
                    path: self.path.clone(),
                    source,
                })?;
            self.read = MAGIC.len() as u64;
            self.end = MAGIC.len() as u64;
        }
        Ok(())
    }

    /// The offset of the first frame not yet consumed.
    pub(crate) fn read_offset(&self) -> u64 {
        self.read
    }

    /// The offset after the last frame (where the next one is appended).
    pub(crate) fn end_offset(&self) -> u64 {
        self.end
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(spill: &mut Spill) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = spill.read_offset();
        while let Frame::Batch(b, next) = spill.peek(at).unwrap() {
            out.push(b);
            at = next;
        }
        out
    }

    #[test]
    fn frames_come_back_in_order_and_are_consumed_by_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.spill");
        let mut spill = Spill::open(&path, 1 << 20).unwrap();
        assert!(spill.append(b"one").unwrap());
        assert!(spill.append(b"two").unwrap());
        assert_eq!(read_all(&mut spill), [b"one".to_vec(), b"two".to_vec()]);
        let Frame::Batch(_, next) = spill.peek(0).unwrap() else {
            panic!()
        };
        spill.commit(next).unwrap();
        assert_eq!(read_all(&mut spill), [b"two".to_vec()]);
        let Frame::Batch(_, next) = spill.peek(0).unwrap() else {
            panic!()
        };
        spill.commit(next).unwrap();
        assert!(spill.is_drained());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 8, "truncated");
    }

    #[test]
    fn pending_records_are_counted_from_the_file_at_open() {
        use crate::delivery::codec::encode_batch;
        use crate::record::Batch;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.spill");
        let mut spill = Spill::open(&path, 1 << 20).unwrap();
        let batch = |n: usize| {
            let mut out = Vec::new();
            let records = vec![
                crate::record::Record::Event(crate::record::Event {
                    source: None,
                    kind: crate::record::EventKind::Online,
                    bd_seq: None,
                    timestamp_ms: 0,
                });
                n
            ];
            encode_batch(&Batch { records }, 0, &mut out);
            out
        };
        spill.append(&batch(3)).unwrap();
        spill.append(&batch(4)).unwrap();
        assert_eq!(spill.pending_records(), 7);
        drop(spill);
        let mut spill = Spill::open(&path, 1 << 20).unwrap();
        assert_eq!(
            spill.pending_records(),
            7,
            "a restart counts what the file holds"
        );
        let Frame::Batch(_, next) = spill.peek(0).unwrap() else {
            panic!()
        };
        spill.commit(next).unwrap();
        assert_eq!(spill.pending_records(), 4);
    }

    #[test]
    fn appended_frames_ask_for_one_sync() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::open(&dir.path().join("s.spill"), 1 << 20).unwrap();
        assert!(spill.sync_handle().is_none(), "nothing appended yet");
        spill.append(b"one").unwrap();
        spill.append(b"two").unwrap();
        let handle = spill.sync_handle().expect("two frames to sync").unwrap();
        handle.sync_data().unwrap();
        assert!(spill.sync_handle().is_none(), "already synced");
        assert!(!spill.append(&[0; 2 << 20]).unwrap());
        assert!(
            spill.sync_handle().is_none(),
            "a refused frame wrote nothing"
        );
    }

    #[test]
    fn a_full_spill_refuses_and_a_reopened_one_replays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.spill");
        let mut spill = Spill::open(&path, 30).unwrap();
        assert!(spill.append(&[1; 10]).unwrap());
        assert!(!spill.append(&[2; 10]).unwrap(), "18 + 18 > 30");
        drop(spill);
        let mut spill = Spill::open(&path, 30).unwrap();
        assert_eq!(read_all(&mut spill), [vec![1; 10]]);
    }

    #[test]
    fn a_torn_or_damaged_frame_is_not_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.spill");
        let mut spill = Spill::open(&path, 1 << 20).unwrap();
        spill.append(b"good").unwrap();
        spill.append(b"bad!").unwrap();
        drop(spill);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        bytes.extend_from_slice(&[200, 0, 0, 0, 1]); // a torn third frame
        std::fs::write(&path, &bytes).unwrap();
        let mut spill = Spill::open(&path, 1 << 20).unwrap();
        let Frame::Batch(b, next) = spill.peek(0).unwrap() else {
            panic!()
        };
        assert_eq!(b, b"good");
        assert!(matches!(spill.peek(next).unwrap(), Frame::Corrupt(_)));
        std::fs::write(&path, b"not a spill").unwrap();
        assert!(matches!(
            Spill::open(&path, 10),
            Err(SpillError::NotASpillFile { .. })
        ));
    }
}
