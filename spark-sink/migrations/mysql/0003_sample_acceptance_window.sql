-- spark-sink schema version 3: samples whose metric time is outside the acceptance window
-- around their receive time (by default more than 5 minutes ahead: a wrong edge clock, a
-- forged DDATA dated 2100) are stored with outside_window = 1. Latest-value reads skip them,
-- so such a sample never shows as current (docs/STORAGE.md, "Acceptance window"). Rows written
-- before this version read as inside the window. (An instant ADD COLUMN on MySQL 8 and
-- MariaDB 10.3+: existing rows are not rewritten.)

ALTER TABLE sink_samples ADD COLUMN outside_window TINYINT NOT NULL DEFAULT 0;
