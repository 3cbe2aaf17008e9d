-- Example outputs for the report: per provider × model × task, the latest passed and the latest failed final answer.
-- Grain: at most two rows per provider × model × task. No parameters. Output text is escaped by the templates.
-- "Latest" = the last requested, the smallest call_id on a tie: one hash aggregate (arg_min over the key
-- (-requested_at in µs, call_id)), no sort of every graded call.
WITH picked AS (
    SELECT c.provider, c.model, c.task_id, g.passed,
           arg_min({'task_version': c.task_version, 'case_id': c.case_id, 'reason': g.reason,
                    'output_text': coalesce(c.output_text, c.error)},
                   {'t': -epoch_us(c.requested_at), 'id': c.call_id}) AS x
    FROM grades g JOIN calls c USING (call_id) JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
    GROUP BY ALL
)
SELECT provider, model, task_id, x.task_version AS task_version, x.case_id AS case_id, passed, x.reason AS reason,
       x.output_text AS output_text
FROM picked
ORDER BY provider, model, task_id, passed DESC
