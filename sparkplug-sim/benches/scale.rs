//! The scale benchmark (in progress).
fn main() {}
