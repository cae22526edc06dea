//! What can be wrong with a scenario file.

/// Why a scenario file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The text is not valid TOML, or does not fit the schema (an unknown key, a wrong type);
    /// the message gives line and column.
    #[error("{0}")]
    Parse(#[source] toml::de::Error),
    /// A value is out of range or inconsistent with another.
    #[error("{at}: {problem}")]
    Invalid {
        /// Where, e.g. `node[1].metric[0]`.
        at: String,
        /// What is wrong.
        problem: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(at: &str, problem: impl Into<String>) -> Self {
        ConfigError::Invalid {
            at: at.to_owned(),
            problem: problem.into(),
        }
    }
}
