-- spark-sink schema version 2: a metric's latest value is read from sink_samples (the newest
-- non-historical row by its primary key) instead of a second table written with every sample.
-- That upsert doubled the database work per sample; STALE after a death is now worked out when
-- reading, from the node's and device's state (docs/STORAGE.md).

DROP TABLE sink_current;
