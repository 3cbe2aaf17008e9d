-- Reconciliation: costbench's computed cost against the provider's own figure (OpenRouter usage.cost, xAI
-- cost_in_usd_ticks), over runs that passed the gate. Grain: one row per provider × model with provider figures.
-- No parameters. A call is flagged when |reported - computed| exceeds the tolerance used at pricing time;
-- lagged_calls are the flagged ones whose figure the previous price entry reproduces (billed late, explained).
SELECT c.provider,
       c.model,
       count(*)                                                                  AS calls_with_figure,
       sum(k.total_usd)::DECIMAL(38, 12)                                         AS computed_usd,
       sum(c.provider_reported_cost_usd)::DECIMAL(38, 12)                        AS reported_usd,
       (sum(c.provider_reported_cost_usd) - sum(k.total_usd))::DECIMAL(38, 12)   AS total_delta_usd,
       max(abs(k.reconciliation_delta_usd))::DECIMAL(38, 12)                     AS max_abs_delta_usd,
       count(*) FILTER (WHERE k.reconciliation_flag)                             AS flagged_calls,
       (count(*) FILTER (WHERE k.reconciliation_flag) / count(*))::DOUBLE        AS flagged_share,
       count(*) FILTER (WHERE k.reconciliation_flag AND k.billed_entry_id IS DISTINCT FROM k.entry_id
                        AND k.billed_entry_id IS NOT NULL)                       AS lagged_calls,
       string_agg(DISTINCT k.entry_id, ', ' ORDER BY k.entry_id)                 AS entries,
       bool_or(pd.confidence = 'unverified')                                     AS unverified_entry_used,
       arg_max(c.call_id, abs(k.reconciliation_delta_usd))                       AS worst_call_id,
       arg_max(c.run_id, abs(k.reconciliation_delta_usd))                        AS worst_run_id
FROM calls c
JOIN costs k USING (call_id)
JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
LEFT JOIN price_entry_details pd ON pd.entry_id = k.entry_id AND pd.pricebook_version = k.pricebook_version
WHERE c.provider_reported_cost_usd IS NOT NULL
GROUP BY ALL
ORDER BY flagged_calls DESC, c.provider, c.model
