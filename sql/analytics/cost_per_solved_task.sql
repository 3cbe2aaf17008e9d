-- Effective cost per solved task, per model: all spend (failed attempts and retries included) / solved cases.
-- Grain: one row per provider × model over the selected runs (default: every run that passed the quality gate).
WITH spend AS (
    SELECT c.provider, c.model, sum(k.total_usd) AS spend_usd, bool_or(c.simulated) AS simulated
    FROM calls c
    JOIN costs k USING (call_id)
    JOIN runs r ON r.run_id = c.run_id
    WHERE r.status = 'ok'
    GROUP BY ALL
),
solved AS (
    SELECT c.provider, c.model,
           count(*) AS attempts,                        -- graded attempts at a case
           count(*) FILTER (WHERE g.passed) AS solved   -- attempts that passed the grader
    FROM grades g
    JOIN calls c USING (call_id)
    JOIN runs r ON r.run_id = c.run_id
    WHERE r.status = 'ok'
    GROUP BY ALL
)
SELECT s.provider,
       s.model,
       s.attempts,
       s.solved,
       s.solved / nullif(s.attempts, 0)                       AS success_rate,          -- 0..1
       coalesce(p.spend_usd, 0)::DECIMAL(38, 12)              AS spend_usd,
       money_div(coalesce(p.spend_usd, 0), s.solved)          AS cost_per_solved_task_usd,
       coalesce(p.simulated, false)                           AS simulated
FROM solved s
LEFT JOIN spend p USING (provider, model)
ORDER BY cost_per_solved_task_usd NULLS LAST, s.provider, s.model
