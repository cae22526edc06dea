//! The integration tests of sparkplug-b, in one binary.

mod fuzz_regressions;
mod golden_vectors;
mod harness;
mod hostile_input;
mod json_compare;
mod payload_rules;
mod prost_agreement;
mod roundtrip;
mod sessions;
mod spec_vectors;
mod tck_coverage;
