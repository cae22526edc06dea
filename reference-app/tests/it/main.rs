//! End-to-end tests of the reference app: the whole pipeline in-process on free ports.

mod e2e;
mod http;
