-- Spend and cost per call by UTC hour of the request (time-of-day prices, e.g. DeepSeek's off-peak window).
-- Grain: one row per provider × model × UTC hour over runs that passed the gate. No parameters.
-- Reads the hourly_usage rollup (priced calls per run × model × hour × time window).
SELECT h.provider,
       h.model,
       h.hour_utc,
       sum(h.calls)::BIGINT                                  AS calls,
       sum(h.spend_usd)::DECIMAL(38, 12)                     AS spend_usd,
       money_div(sum(h.spend_usd), sum(h.calls))             AS cost_per_call_usd,
       list(DISTINCT h.time_window ORDER BY h.time_window) FILTER (WHERE h.time_window IS NOT NULL) AS time_windows
FROM hourly_usage h JOIN runs r ON r.run_id = h.run_id AND r.status = 'ok'
GROUP BY ALL
ORDER BY h.provider, h.model, h.hour_utc
