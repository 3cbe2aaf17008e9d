-- Paid calls that the pricing step did not price: every successful call, and every call charged at worst case
-- (usage unreadable, or in doubt), must have a cost row. Grain: one row per call.
SELECT c.call_id, c.provider, c.model, c.status, c.requested_at
FROM calls c LEFT JOIN costs k USING (call_id)
WHERE c.run_id = $run_id AND (c.status = 'ok' OR c.cost_estimate IS NOT NULL) AND k.call_id IS NULL
