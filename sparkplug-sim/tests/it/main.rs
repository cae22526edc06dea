//! Integration tests of the simulator: determinism, the host's view, faults, commands, brokers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broker;
mod commands;
mod config;
mod determinism;
mod fast_forward;
mod faults;
mod host_view;
mod monitor;
mod support;
