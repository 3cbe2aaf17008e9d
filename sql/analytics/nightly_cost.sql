-- Cost per solved task night by night (the time series behind the price-change charts).
-- Grain: one row per run date × provider × model, over runs that passed the gate. No parameters.
WITH ok AS (
    SELECT r.run_at::DATE AS night, c.provider, c.model, k.total_usd, g.passed
    FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
    LEFT JOIN costs k USING (call_id) LEFT JOIN grades g USING (call_id)
)
SELECT night,
       provider,
       model,
       coalesce(sum(total_usd), 0)::DECIMAL(38, 12)                                    AS spend_usd,
       count(*) FILTER (WHERE passed)                                                  AS solved,
       money_div(coalesce(sum(total_usd), 0), count(*) FILTER (WHERE passed))          AS cost_per_solved_task_usd,
       (count(*) FILTER (WHERE passed) / nullif(count(passed), 0))::DOUBLE              AS success_rate
FROM ok
GROUP BY ALL
ORDER BY night, provider, model
