-- What the latest run that passed the quality gate actually spent, per model: the "expected" beside an estimate.
-- Grain: one row per provider × model of that run. No parameters.
WITH latest AS (
    SELECT arg_max(run_id, run_at) AS run_id FROM runs WHERE status = 'ok'
)
SELECT c.provider || '/' || c.model            AS name,      -- as in the estimate's lines
       l.run_id,
       count(*)                                 AS calls,
       sum(k.total_usd)::DECIMAL(38, 12)        AS spend_usd
FROM latest l
JOIN calls c ON c.run_id = l.run_id
JOIN costs k ON k.call_id = c.call_id
GROUP BY ALL
ORDER BY name
