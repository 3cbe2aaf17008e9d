-- Rebuild the night_usage rows of one run (the night_usage_rows macro, migration 0013).
-- Grain: one row per run × provider × model × price entry. Parameter: $run_id.
INSERT INTO night_usage BY NAME SELECT * FROM night_usage_rows() WHERE run_id = $run_id
