-- Successful calls without usage: every paid call must say what it used. Grain: one row per offending call.
SELECT call_id, provider, model, task_id
FROM calls
WHERE run_id = $run_id
  AND status = 'ok'
  AND (input_uncached_tokens IS NULL OR output_tokens IS NULL)
