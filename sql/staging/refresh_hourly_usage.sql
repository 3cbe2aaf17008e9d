-- Rebuild the hourly_usage rows of one run (the hourly_usage_rows macro, migration 0013).
-- Grain: one row per run × provider × model × UTC hour × time window, priced calls only. Parameter: $run_id.
INSERT INTO hourly_usage BY NAME SELECT * FROM hourly_usage_rows() WHERE run_id = $run_id
