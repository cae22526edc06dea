//! Storage sinks for Sparkplug data behind async traits: SQLite (embedded default),
//! MySQL/MariaDB and Parquet.
//!
//! **Status: not built yet.** This crate is a placeholder in the workspace layout fixed by
//! `DESIGN.md`; it exports nothing. By design it will not depend on an MQTT client.
