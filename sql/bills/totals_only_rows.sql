-- Imported rows with a total token count but no input/output split (all, or of $source). Grain: one row per bill row.
SELECT b.row_id, b.occurred_at, b.source_model, b.provider, b.model, b.total_tokens, k.reported_usd
FROM bill_rows b JOIN bill_costs k USING (row_id)
WHERE b.input_uncached_tokens IS NULL
  AND ($source IS NULL OR b.source_format = $source OR b.import_id = $source)
ORDER BY b.occurred_at, b.row_id
