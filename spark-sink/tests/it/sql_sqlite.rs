//! The SQL store on SQLite (runs under plain `cargo test`).
