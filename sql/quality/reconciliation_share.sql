-- The quality gate's reconciliation check: per model of one run, the share of calls with a provider-reported
-- cost that no price entry explains (a figure matching the previous entry is a billing lag: flagged in
-- costs, counted in the reconciliation report, but not a data error). Grain: one row per provider × model of $run_id whose flagged
-- share exceeds $max_share (no rows = the check passes). Parameters: $run_id, $max_share.
SELECT c.provider,
       c.model,
       count(*)                                            AS calls_with_figure,
       count(*) FILTER (WHERE k.reconciliation_flag AND k.billed_entry_id IS NULL) AS flagged_calls,
       (count(*) FILTER (WHERE k.reconciliation_flag AND k.billed_entry_id IS NULL) / count(*))::DOUBLE AS flagged_share,
       (sum(c.provider_reported_cost_usd) - sum(k.total_usd))::DECIMAL(38, 12) AS total_delta_usd
FROM calls c JOIN costs k USING (call_id)
WHERE c.run_id = $run_id AND c.provider_reported_cost_usd IS NOT NULL
GROUP BY ALL
HAVING count(*) FILTER (WHERE k.reconciliation_flag AND k.billed_entry_id IS NULL) / count(*) > $max_share
ORDER BY c.provider, c.model
