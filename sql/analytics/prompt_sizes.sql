-- Measured prompt sizes (all input tokens of a call: uncached + cache reads + cache writes) per task, over the runs
-- that passed the gate in the last $window_days days (counted back from the latest one); `costbench route` sets
-- Claude Code Router's longContextThreshold from them. Grain: one row per task × category. Baselines excluded.
WITH win_runs AS (
    SELECT run_id FROM runs
    WHERE status = 'ok'
      AND run_at > (SELECT max(run_at) FROM runs WHERE status = 'ok') - to_days(CAST($window_days AS INTEGER))
)
SELECT c.task_id,
       c.task_category                                                           AS category,
       count(*)                                                                  AS calls,
       min(c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens)
                                                                                 AS min_input_tokens,
       max(c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens)
                                                                                 AS max_input_tokens
FROM calls c JOIN win_runs USING (run_id)
WHERE c.status = 'ok' AND c.provider <> 'baseline'
GROUP BY ALL
ORDER BY category, c.task_id
