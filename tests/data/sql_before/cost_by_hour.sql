-- Spend and cost per call by UTC hour of the request (time-of-day prices, e.g. DeepSeek's off-peak window).
-- Grain: one row per provider × model × UTC hour over runs that passed the gate. No parameters.
SELECT c.provider,
       c.model,
       hour(c.requested_at AT TIME ZONE 'UTC')               AS hour_utc,
       count(*)                                              AS calls,
       sum(k.total_usd)::DECIMAL(38, 12)                     AS spend_usd,
       money_div(sum(k.total_usd), count(*))                 AS cost_per_call_usd,
       list(DISTINCT k.time_window) FILTER (WHERE k.time_window IS NOT NULL) AS time_windows
FROM calls c JOIN costs k USING (call_id) JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
GROUP BY ALL
ORDER BY c.provider, c.model, hour_utc
