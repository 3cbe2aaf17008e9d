-- Delete the task_totals rows no folded run reaches any more (calls back to 0 after an unfold: every daily_usage
-- row has at least one call, so its other sums are 0 too). Grain: task_totals rows. No parameters.
DELETE FROM task_totals WHERE calls = 0
