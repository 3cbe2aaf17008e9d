-- The mapped models of the imported bills (all, or of $source) with rows that have token buckets.
-- Grain: one row per provider × model.
SELECT b.provider, b.model, count(*) AS rows
FROM bill_rows b
WHERE b.provider IS NOT NULL AND b.input_uncached_tokens IS NOT NULL
  AND ($source IS NULL OR b.source_format = $source OR b.import_id = $source)
GROUP BY ALL
ORDER BY b.provider, b.model
