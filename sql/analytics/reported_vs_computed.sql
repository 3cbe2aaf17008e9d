-- Provider-reported cost (e.g. OpenRouter usage.cost) against costbench's computed cost.
-- Grain: one row per provider × model that reports costs, over runs that passed the gate. No parameters.
SELECT c.provider,
       c.model,
       count(*)                                                        AS calls,
       sum(c.provider_reported_cost_usd)::DECIMAL(38, 12)              AS reported_usd,
       sum(k.total_usd)::DECIMAL(38, 12)                               AS computed_usd,
       (sum(c.provider_reported_cost_usd) - sum(k.total_usd))::DECIMAL(38, 12) AS delta_usd,
       count(*) FILTER (WHERE k.reconciliation_flag)                   AS flagged_calls
FROM calls c JOIN costs k USING (call_id) JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
WHERE c.provider_reported_cost_usd IS NOT NULL
GROUP BY ALL
ORDER BY c.provider, c.model
