-- Rebuild the daily_usage rows of one run from its calls, costs and grades (the daily_usage_rows macro,
-- migration 0013). Grain: one row per run × provider × model × task version × price entry. Parameter: $run_id.
INSERT INTO daily_usage BY NAME SELECT * FROM daily_usage_rows() WHERE run_id = $run_id
