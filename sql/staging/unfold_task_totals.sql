-- Unfold one run from task_totals: subtract its current daily_usage sums (task_run_totals, migration 0016) from
-- the rows it was folded into (run before its daily_usage rows change; prune_task_totals then drops emptied rows).
-- Grain: one task_totals row per provider × model × task_id × task_version. Parameter: $run_id.
UPDATE task_totals t SET
    calls         = t.calls - r.calls,
    attempts      = t.attempts - r.attempts,
    solved        = t.solved - r.solved,
    spend_usd     = t.spend_usd - r.spend_usd,
    input_tokens  = t.input_tokens - r.input_tokens,
    output_tokens = t.output_tokens - r.output_tokens
FROM (SELECT * FROM task_run_totals() WHERE run_id = $run_id) r
WHERE t.provider = r.provider AND t.model = r.model AND t.task_id = r.task_id AND t.task_version = r.task_version
