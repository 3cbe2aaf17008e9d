-- Earlier nights' attempts for adaptive sampling: one row per attempt (run × model × task × case × repeat)
-- of the quality-passed runs in [$since, $before), with its spend in USD and whether it solved the case.
SELECT
    c.provider || '/' || c.model                  AS model,          -- provider/model, as in costbench.toml
    c.run_id,
    r.run_at,                                                        -- the night the attempt belongs to
    c.task_id || '@' || c.task_version            AS task_key,
    c.case_id,
    c.repeat_index,
    coalesce(sum(k.total_usd), 0)                 AS spend_usd,      -- every turn and retry of the attempt
    coalesce(bool_or(g.passed), false)            AS solved          -- the attempt's grade (final turn or failure)
FROM calls AS c
JOIN runs AS r USING (run_id)
LEFT JOIN costs AS k USING (call_id)
LEFT JOIN grades AS g USING (call_id)
WHERE r.run_at >= $since AND r.run_at < $before AND r.status = 'ok'
GROUP BY ALL
ORDER BY model, c.run_id, task_key, c.case_id, c.repeat_index
