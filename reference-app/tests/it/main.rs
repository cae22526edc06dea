//! End-to-end tests of the reference app: the whole pipeline in-process on free ports.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod crash;
mod e2e;
mod hostile;
mod http;
mod quarantine;
mod tools;
