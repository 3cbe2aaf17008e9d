-- Calls to a provider/model the price book does not know (so their cost cannot be traced). Grain: one row per model.
SELECT DISTINCT c.provider, c.model
FROM calls c
WHERE c.run_id = $run_id
  AND NOT EXISTS (SELECT 1 FROM price_entries p WHERE p.provider = c.provider AND p.model = c.model)
