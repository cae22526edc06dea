//! The Arrow schemas of the three datasets (documented in `docs/PARQUET.md`).
//!
//! The partition columns `group` and `date` are in the directory names only, as Hive, Spark,
//! Trino, DuckDB and pyarrow expect; they are not repeated inside the files.

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType as ArrowType, Field, Schema, SchemaRef, TimeUnit};

/// Milliseconds since the Unix epoch, UTC.
fn timestamp(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        ArrowType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        nullable,
    )
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, ArrowType::Utf8, nullable)
}

/// The samples dataset: one row per metric value.
pub fn samples_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        Arc::new(Schema::new(vec![
            utf8("node", false),
            utf8("device", true),
            utf8("metric", false),
            utf8("datatype", false),
            timestamp("ts", false),
            Field::new("is_null", ArrowType::Boolean, false),
            Field::new("is_historical", ArrowType::Boolean, false),
            Field::new("quality", ArrowType::Int32, false),
            Field::new("seq", ArrowType::Int32, true),
            Field::new("bd_seq", ArrowType::Int64, true),
            timestamp("received_at", false),
            Field::new("int_value", ArrowType::Int64, true),
            Field::new("uint_value", ArrowType::UInt64, true),
            Field::new("double_value", ArrowType::Float64, true),
            Field::new("bool_value", ArrowType::Boolean, true),
            utf8("string_value", true),
            Field::new("bytes_value", ArrowType::Binary, true),
            utf8("json_value", true),
            // Last, so that files written before it read as a schema that only lacks it.
            Field::new("outside_window", ArrowType::Boolean, false),
        ]))
    }))
}

/// The events dataset: one row per lifecycle event.
pub fn events_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        Arc::new(Schema::new(vec![
            utf8("node", true),
            utf8("device", true),
            utf8("kind", false),
            timestamp("ts", false),
            Field::new("bd_seq", ArrowType::Int64, true),
            utf8("detail", true),
            utf8("tck_id", true),
            Field::new("expected_seq", ArrowType::Int32, true),
            Field::new("received_seq", ArrowType::Int32, true),
        ]))
    }))
}

/// The births dataset: one row per metric a birth declared.
pub fn births_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        Arc::new(Schema::new(vec![
            utf8("node", false),
            utf8("device", true),
            Field::new("bd_seq", ArrowType::Int64, true),
            timestamp("ts", false),
            timestamp("received_at", false),
            utf8("metric", false),
            Field::new("alias", ArrowType::UInt64, true),
            utf8("datatype", false),
            utf8("properties_json", true),
        ]))
    }))
}
