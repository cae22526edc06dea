//! The Sparkplug B edge-of-network node simulator.
//!
//! **Status: not built yet.** This crate is a placeholder in the workspace layout fixed by
//! `DESIGN.md`; it exports nothing. It will drive `sparkplug-b`'s edge node state machine with
//! signals from `plant-model` and from generic generators, with fault injection.
