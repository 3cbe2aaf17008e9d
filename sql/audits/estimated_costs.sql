-- Spend of unknown size, charged at its worst case: a 200 whose usage could not be read, or a request sent and
-- never answered. A warning, not a failure: shown by the gate so the estimate is never mistaken for a bill.
-- Grain: one row per call with an estimated cost.
SELECT c.call_id, c.provider, c.model, c.status, k.total_usd, k.estimate_reason
FROM calls c JOIN costs k USING (call_id)
WHERE c.run_id = $run_id AND k.estimated
ORDER BY c.requested_at
