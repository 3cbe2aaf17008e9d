-- The price of precision: per model, what the adaptive nights of the window spent and the precision they bought.
-- Grain: one row per model with adaptive nights in the 14 days up to the latest run; the latest night's half-width.
-- No parameters.
WITH nights AS (
    SELECT p.*, r.run_at,
           row_number() OVER (PARTITION BY p.model ORDER BY r.run_at DESC) AS recency
    FROM run_precision AS p
    JOIN runs AS r USING (run_id)
    WHERE r.run_at > (SELECT max(run_at) FROM runs) - INTERVAL 14 DAY
)
SELECT
    model,
    count(*)                                                     AS nights,
    sum(attempts)                                                AS attempts,            -- sampled
    sum(planned_attempts)                                        AS planned_attempts,    -- the full design
    sum(night_spend_usd)                                         AS spend_usd,           -- exact
    max(halfwidth_pct) FILTER (WHERE recency = 1)                AS latest_halfwidth_pct,
    max(target_halfwidth_pct) FILTER (WHERE recency = 1)         AS target_halfwidth_pct,
    max(stopped_by) FILTER (WHERE recency = 1)                   AS latest_stopped_by,
    count(*) FILTER (WHERE stopped_by = 'target')                AS nights_at_target
FROM nights
GROUP BY model
ORDER BY model
