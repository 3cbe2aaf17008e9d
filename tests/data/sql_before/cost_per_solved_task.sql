-- Effective cost per solved task: all spend on a model (failed attempts and retries included) / solved cases.
-- Grain: one row per provider × model, over runs that passed the quality gate. No parameters.
-- Reads the daily_usage rollup (refreshed when a run is priced), so a year of history stays fast.
SELECT d.provider,
       d.model,
       bool_or(r.simulated)                                 AS simulated,
       sum(d.attempts)                                      AS attempts,      -- graded attempts at a case
       sum(d.solved)                                        AS solved,        -- attempts that passed the grader
       (sum(d.solved) / nullif(sum(d.attempts), 0))::DOUBLE AS success_rate,  -- 0..1
       sum(d.spend_usd)::DECIMAL(38, 12)                    AS spend_usd,
       money_div(sum(d.spend_usd), sum(d.solved))           AS cost_per_solved_task_usd
FROM daily_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
GROUP BY d.provider, d.model
ORDER BY cost_per_solved_task_usd NULLS LAST, d.provider, d.model
