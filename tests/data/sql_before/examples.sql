-- Example outputs for the report: per provider × model × task, the latest passed and the latest failed final answer.
-- Grain: at most two rows per provider × model × task. No parameters. Output text is escaped by the templates.
WITH graded AS (
    SELECT c.provider, c.model, c.task_id, c.task_version, c.case_id, c.output_text, c.error, g.passed, g.reason,
           row_number() OVER (PARTITION BY c.provider, c.model, c.task_id, g.passed ORDER BY c.requested_at DESC, c.call_id) AS n
    FROM grades g JOIN calls c USING (call_id) JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
)
SELECT provider, model, task_id, task_version, case_id, passed, reason, coalesce(output_text, error) AS output_text
FROM graded WHERE n = 1
ORDER BY provider, model, task_id, passed DESC
