-- Every stored data-quality check result, failures first. Grain: one row per run × check. No parameters.
SELECT q.run_id, r.run_at, q.check_name, q.kind, q.passed, q.failing_rows, q.detail
FROM quality_results q JOIN runs r USING (run_id)
ORDER BY r.run_at DESC, q.passed, q.kind, q.check_name
