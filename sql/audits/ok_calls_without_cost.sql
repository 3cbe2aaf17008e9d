-- Successful calls that the pricing step did not price: every paid call must have a cost. Grain: one row per call.
SELECT c.call_id, c.provider, c.model, c.requested_at
FROM calls c LEFT JOIN costs k USING (call_id)
WHERE c.run_id = $run_id AND c.status = 'ok' AND k.call_id IS NULL
