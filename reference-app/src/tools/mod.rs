//! The small subcommands that are tools rather than parts of the pipeline.

pub(crate) mod decode;
pub(crate) mod monitor;
pub(crate) mod output;
