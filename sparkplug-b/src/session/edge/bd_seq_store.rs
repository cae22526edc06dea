//! Persistence of the bdSeq across process restarts.
//!
//! The TCK checks that bdSeq goes up by one on every CONNECT of a node, restarts included
//! (`tck-id-topics-nbirth-bdseq-increment`), so the bdSeq of the last CONNECT must outlive the
//! process. The state machine never calls a store: the caller loads the last bdSeq before
//! [`EdgeNode::new`](super::EdgeNode::new) and saves [`EdgeNode::bd_seq`](super::EdgeNode::bd_seq)
//! after each [`EdgeNode::connect`](super::EdgeNode::connect).

use std::io;
use std::path::{Path, PathBuf};

use crate::session::BdSeq;

/// Where the bdSeq of the last CONNECT is kept.
pub trait BdSeqStore {
    /// What can go wrong.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The bdSeq of the last CONNECT; `None` if the node never connected.
    fn load(&mut self) -> Result<Option<BdSeq>, Self::Error>;

    /// Remembers the bdSeq of the CONNECT about to be sent.
    fn save(&mut self, bd_seq: BdSeq) -> Result<(), Self::Error>;
}

/// Why a [`FileBdSeqStore`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BdSeqFileError {
    /// Reading or writing the file failed.
    #[error("bdSeq file {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: io::Error,
    },
    /// The file does not hold a number from 0 to 255.
    #[error("bdSeq file {} holds {content:?}, not a number from 0 to 255", .path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What it holds (at most 32 characters of it).
        content: String,
    },
}

/// A [`BdSeqStore`] in a text file holding the decimal bdSeq. A missing file means "never
/// connected". Saving writes a sibling temporary file and renames it over the old one, so a
/// crash leaves the old value or the new one, never a torn file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBdSeqStore {
    path: PathBuf,
}

impl FileBdSeqStore {
    /// A store in the file at `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileBdSeqStore { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_error(&self, source: io::Error) -> BdSeqFileError {
        BdSeqFileError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

impl BdSeqStore for FileBdSeqStore {
    type Error = BdSeqFileError;

    fn load(&mut self) -> Result<Option<BdSeq>, BdSeqFileError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(e)),
        };
        match text.trim().parse::<u8>() {
            Ok(v) => Ok(Some(BdSeq::new(v))),
            Err(_) => Err(BdSeqFileError::Corrupt {
                path: self.path.clone(),
                content: text.chars().take(32).collect(),
            }),
        }
    }

    fn save(&mut self, bd_seq: BdSeq) -> Result<(), BdSeqFileError> {
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, format!("{bd_seq}\n")).map_err(|e| self.io_error(e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io_error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Timestamp;
    use crate::session::edge::{EdgeNode, EdgeNodeConfig};
    use crate::topic::{EdgeNodeId, GroupId};

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sparkplug-b-bdseq-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// tck-id-topics-nbirth-bdseq-increment: bdSeq keeps counting across a restart.
    #[test]
    fn survives_a_restart() {
        let dir = temp_dir("restart");
        let mut store = FileBdSeqStore::new(dir.join("bdseq"));
        assert_eq!(store.load().unwrap(), None);
        let config = EdgeNodeConfig::new(GroupId::new("G").unwrap(), EdgeNodeId::new("E").unwrap());
        let mut node = EdgeNode::new(config.clone(), store.load().unwrap());
        node.connect(Timestamp::from_millis(1));
        store.save(node.bd_seq()).unwrap();
        node.connect(Timestamp::from_millis(2));
        store.save(node.bd_seq()).unwrap();
        assert_eq!(store.load().unwrap(), Some(BdSeq::new(1)));
        // A new process.
        let mut store = FileBdSeqStore::new(dir.join("bdseq"));
        let mut node = EdgeNode::new(config, store.load().unwrap());
        node.connect(Timestamp::from_millis(3));
        assert_eq!(node.bd_seq(), BdSeq::new(2));
        store.save(BdSeq::new(255)).unwrap();
        assert_eq!(store.load().unwrap(), Some(BdSeq::new(255)));
        assert!(!dir.join("bdseq.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_and_unreadable_files_are_errors() {
        let dir = temp_dir("corrupt");
        let path = dir.join("bdseq");
        std::fs::write(&path, "256").unwrap();
        let mut store = FileBdSeqStore::new(&path);
        assert!(matches!(store.load(), Err(BdSeqFileError::Corrupt { .. })));
        std::fs::write(&path, " 42\n").unwrap();
        assert_eq!(store.load().unwrap(), Some(BdSeq::new(42)));
        // A directory where the file should be.
        let mut store = FileBdSeqStore::new(&dir);
        assert!(matches!(store.load(), Err(BdSeqFileError::Io { .. })));
        assert!(store.path().ends_with(dir.file_name().unwrap()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
