-- spark-sink schema version 1 (MySQL 8 / MariaDB 10.11). The logical schema is documented in
-- docs/STORAGE.md; migrations/sqlite/0001_init.sql is the same schema in SQLite types.
-- Key columns are limited so every unique key fits InnoDB's 3072-byte limit in utf8mb4.

CREATE TABLE sink_nodes (
    node_id        BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    group_id       VARCHAR(255) NOT NULL,
    node           VARCHAR(255) NOT NULL,
    online         TINYINT      NOT NULL DEFAULT 0,
    bd_seq         BIGINT UNSIGNED NULL,
    last_birth_ms  BIGINT       NULL,
    last_death_ms  BIGINT       NULL,
    state_ms       BIGINT       NULL,
    seq_gaps       BIGINT       NOT NULL DEFAULT 0,
    births         BIGINT       NOT NULL DEFAULT 0,
    deaths         BIGINT       NOT NULL DEFAULT 0,
    UNIQUE KEY sink_nodes_name (group_id, node)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sink_devices (
    node_id        BIGINT       NOT NULL,
    device         VARCHAR(128) NOT NULL,
    online         TINYINT      NOT NULL DEFAULT 0,
    last_birth_ms  BIGINT       NULL,
    last_death_ms  BIGINT       NULL,
    state_ms       BIGINT       NULL,
    births         BIGINT       NOT NULL DEFAULT 0,
    deaths         BIGINT       NOT NULL DEFAULT 0,
    PRIMARY KEY (node_id, device)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sink_metrics (
    metric_id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    node_id        BIGINT       NOT NULL,
    device         VARCHAR(128) NOT NULL DEFAULT '',
    name           VARCHAR(512) NOT NULL,
    alias          BIGINT UNSIGNED NULL,
    datatype       INT UNSIGNED NOT NULL,
    properties     LONGTEXT     NULL,
    eng_unit       VARCHAR(255) NULL,
    birth_id       BIGINT       NULL,
    UNIQUE KEY sink_metrics_name (node_id, device, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sink_births (
    birth_id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    node_id        BIGINT       NOT NULL,
    device         VARCHAR(128) NOT NULL DEFAULT '',
    bd_seq         BIGINT UNSIGNED NULL,
    timestamp_ms   BIGINT       NOT NULL,
    received_at_ms BIGINT       NOT NULL,
    metric_count   INT          NOT NULL,
    certificate    LONGTEXT     NOT NULL,
    UNIQUE KEY sink_births_key (node_id, device, timestamp_ms, received_at_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sink_samples (
    metric_id      BIGINT       NOT NULL,
    ts_ms          BIGINT       NOT NULL,
    is_historical  TINYINT      NOT NULL,
    datatype       INT UNSIGNED NOT NULL,
    is_null        TINYINT      NOT NULL,
    v_int          BIGINT       NULL,
    v_uint         BIGINT UNSIGNED NULL,
    v_double       DOUBLE       NULL,
    v_bool         TINYINT      NULL,
    v_text         LONGTEXT     NULL,
    v_blob         LONGBLOB     NULL,
    quality        SMALLINT     NOT NULL,
    seq            TINYINT UNSIGNED NULL,
    bd_seq         BIGINT UNSIGNED NULL,
    received_at_ms BIGINT       NOT NULL,
    PRIMARY KEY (metric_id, ts_ms, is_historical)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sink_current (
    metric_id      BIGINT       NOT NULL PRIMARY KEY,
    ts_ms          BIGINT       NOT NULL,
    datatype       INT UNSIGNED NOT NULL,
    is_null        TINYINT      NOT NULL,
    v_int          BIGINT       NULL,
    v_uint         BIGINT UNSIGNED NULL,
    v_double       DOUBLE       NULL,
    v_bool         TINYINT      NULL,
    v_text         LONGTEXT     NULL,
    v_blob         LONGBLOB     NULL,
    quality        SMALLINT     NOT NULL,
    received_at_ms BIGINT       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sink_events (
    event_id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_key      VARCHAR(64)  NOT NULL,
    group_id       VARCHAR(255) NULL,
    node           VARCHAR(255) NULL,
    device         VARCHAR(255) NULL,
    kind           VARCHAR(32)  NOT NULL,
    bd_seq         BIGINT UNSIGNED NULL,
    timestamp_ms   BIGINT       NOT NULL,
    detail         LONGTEXT     NOT NULL,
    UNIQUE KEY sink_events_key (event_key),
    KEY sink_events_time (timestamp_ms),
    KEY sink_events_node_time (group_id, node, timestamp_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sink_report_rows (
    job             VARCHAR(128) NOT NULL,
    report_key      VARCHAR(512) NOT NULL,
    window_start_ms BIGINT       NOT NULL,
    window_end_ms   BIGINT       NOT NULL,
    fields          LONGTEXT     NOT NULL,
    updated_at_ms   BIGINT       NOT NULL,
    PRIMARY KEY (job, report_key, window_start_ms),
    KEY sink_report_rows_window (job, window_start_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sink_watermarks (
    job            VARCHAR(128) NOT NULL PRIMARY KEY,
    watermark_ms   BIGINT       NOT NULL,
    updated_at_ms  BIGINT       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
