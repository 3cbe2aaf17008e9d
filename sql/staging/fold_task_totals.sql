-- Fold one run into task_totals: add its daily_usage sums (task_run_totals, migration 0016) to each provider ×
-- model × task version row, creating the rows it is the first to reach. Exact: BIGINT and DECIMAL(38, 12) sums.
-- Grain: one task_totals row per provider × model × task_id × task_version. Parameter: $run_id.
INSERT INTO task_totals BY NAME
SELECT * EXCLUDE (run_id) FROM task_run_totals() WHERE run_id = $run_id
ON CONFLICT (provider, model, task_id, task_version) DO UPDATE SET
    category      = coalesce(task_totals.category, excluded.category),
    calls         = task_totals.calls + excluded.calls,
    attempts      = task_totals.attempts + excluded.attempts,
    solved        = task_totals.solved + excluded.solved,
    spend_usd     = task_totals.spend_usd + excluded.spend_usd,
    input_tokens  = task_totals.input_tokens + excluded.input_tokens,
    output_tokens = task_totals.output_tokens + excluded.output_tokens
