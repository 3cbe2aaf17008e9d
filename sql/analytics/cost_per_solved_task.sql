-- Effective cost per solved task: all spend on a model (failed attempts and retries included) / solved cases.
-- Grain: one row per provider × model, over runs that passed the quality gate. No parameters.
WITH spend AS (
    SELECT c.provider, c.model, sum(k.total_usd) AS spend_usd
    FROM calls c JOIN costs k USING (call_id) JOIN runs r ON r.run_id = c.run_id
    WHERE r.status = 'ok'
    GROUP BY ALL
),
solved AS (
    SELECT c.provider, c.model, count(*) AS attempts, count(*) FILTER (WHERE g.passed) AS solved,
           bool_or(c.simulated) AS simulated
    FROM grades g JOIN calls c USING (call_id) JOIN runs r ON r.run_id = c.run_id
    WHERE r.status = 'ok'
    GROUP BY ALL
)
SELECT s.provider,
       s.model,
       s.simulated,
       s.attempts,                                                      -- graded attempts at a case
       s.solved,                                                        -- attempts that passed the grader
       s.solved / nullif(s.attempts, 0)                 AS success_rate,  -- 0..1
       coalesce(p.spend_usd, 0)::DECIMAL(38, 12)        AS spend_usd,
       money_div(coalesce(p.spend_usd, 0), s.solved)    AS cost_per_solved_task_usd
FROM solved s LEFT JOIN spend p USING (provider, model)
ORDER BY cost_per_solved_task_usd NULLS LAST, s.provider, s.model
