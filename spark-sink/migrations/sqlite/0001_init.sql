-- spark-sink schema version 1 (SQLite). The logical schema is documented in docs/STORAGE.md;
-- migrations/mysql/0001_init.sql is the same schema in MySQL/MariaDB types.

CREATE TABLE sink_nodes (
    node_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id       TEXT    NOT NULL,
    node           TEXT    NOT NULL,
    online         INTEGER NOT NULL DEFAULT 0,
    bd_seq         INTEGER NULL,
    last_birth_ms  INTEGER NULL,
    last_death_ms  INTEGER NULL,
    state_ms       INTEGER NULL,
    seq_gaps       INTEGER NOT NULL DEFAULT 0,
    births         INTEGER NOT NULL DEFAULT 0,
    deaths         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_id, node)
);

CREATE TABLE sink_devices (
    node_id        INTEGER NOT NULL,
    device         TEXT    NOT NULL,
    online         INTEGER NOT NULL DEFAULT 0,
    last_birth_ms  INTEGER NULL,
    last_death_ms  INTEGER NULL,
    state_ms       INTEGER NULL,
    births         INTEGER NOT NULL DEFAULT 0,
    deaths         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (node_id, device)
);

CREATE TABLE sink_metrics (
    metric_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id        INTEGER NOT NULL,
    device         TEXT    NOT NULL DEFAULT '',
    name           TEXT    NOT NULL,
    alias          INTEGER NULL,
    datatype       INTEGER NOT NULL,
    properties     TEXT    NULL,
    eng_unit       TEXT    NULL,
    birth_id       INTEGER NULL,
    UNIQUE (node_id, device, name)
);

CREATE TABLE sink_births (
    birth_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id        INTEGER NOT NULL,
    device         TEXT    NOT NULL DEFAULT '',
    bd_seq         INTEGER NULL,
    timestamp_ms   INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    metric_count   INTEGER NOT NULL,
    certificate    TEXT    NOT NULL,
    UNIQUE (node_id, device, timestamp_ms, received_at_ms)
);

-- v_uint has no type affinity on purpose: values up to i64::MAX are INTEGERs, larger ones
-- their 20-digit zero-padded decimal TEXT, so MIN/MAX/ORDER BY stay numeric (SQLite sorts every
-- INTEGER before every TEXT).
CREATE TABLE sink_samples (
    metric_id      INTEGER NOT NULL,
    ts_ms          INTEGER NOT NULL,
    is_historical  INTEGER NOT NULL,
    datatype       INTEGER NOT NULL,
    is_null        INTEGER NOT NULL,
    v_int          INTEGER NULL,
    v_uint         NULL,
    v_double       REAL    NULL,
    v_bool         INTEGER NULL,
    v_text         TEXT    NULL,
    v_blob         BLOB    NULL,
    quality        INTEGER NOT NULL,
    seq            INTEGER NULL,
    bd_seq         INTEGER NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (metric_id, ts_ms, is_historical)
) WITHOUT ROWID;

CREATE TABLE sink_current (
    metric_id      INTEGER PRIMARY KEY,
    ts_ms          INTEGER NOT NULL,
    datatype       INTEGER NOT NULL,
    is_null        INTEGER NOT NULL,
    v_int          INTEGER NULL,
    v_uint         NULL,
    v_double       REAL    NULL,
    v_bool         INTEGER NULL,
    v_text         TEXT    NULL,
    v_blob         BLOB    NULL,
    quality        INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL
);

CREATE TABLE sink_events (
    event_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key      TEXT    NOT NULL UNIQUE,
    group_id       TEXT    NULL,
    node           TEXT    NULL,
    device         TEXT    NULL,
    kind           TEXT    NOT NULL,
    bd_seq         INTEGER NULL,
    timestamp_ms   INTEGER NOT NULL,
    detail         TEXT    NOT NULL
);
CREATE INDEX sink_events_time ON sink_events (timestamp_ms);
CREATE INDEX sink_events_node_time ON sink_events (group_id, node, timestamp_ms);

CREATE TABLE sink_report_rows (
    job             TEXT    NOT NULL,
    report_key      TEXT    NOT NULL,
    window_start_ms INTEGER NOT NULL,
    window_end_ms   INTEGER NOT NULL,
    fields          TEXT    NOT NULL,
    updated_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (job, report_key, window_start_ms)
);
CREATE INDEX sink_report_rows_window ON sink_report_rows (job, window_start_ms);

CREATE TABLE sink_watermarks (
    job            TEXT    NOT NULL PRIMARY KEY,
    watermark_ms   INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
);
