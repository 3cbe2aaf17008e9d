-- The bill rows (all, or of one export format / import id $source) re-targeted at $provider/$model, token counts
-- multiplied by the measured ratios in bill_ratios when $scaled (else carried over unchanged).
-- Grain: one row per bill row with buckets (totals-only rows are estimated in Python). Feeds price_rows.sql.
CREATE OR REPLACE TEMP TABLE bill_pricing_input AS
SELECT b.row_id, b.occurred_at, b.granularity, b.requests, b.tier_hint, b.flags,
       $provider::VARCHAR AS provider, $model::VARCHAR AS model,
       (b.input_uncached_tokens * CASE WHEN $scaled THEN coalesce(r.input_ratio, 1) ELSE 1 END)::DECIMAL(38, 6) AS tin,
       (b.cache_read_tokens * CASE WHEN $scaled THEN coalesce(r.input_ratio, 1) ELSE 1 END)::DECIMAL(38, 6) AS tread,
       (b.cache_write_5m_tokens * CASE WHEN $scaled THEN coalesce(r.input_ratio, 1) ELSE 1 END)::DECIMAL(38, 6) AS tw5,
       (b.cache_write_1h_tokens * CASE WHEN $scaled THEN coalesce(r.input_ratio, 1) ELSE 1 END)::DECIMAL(38, 6) AS tw1,
       (b.output_tokens * CASE WHEN $scaled THEN coalesce(r.output_ratio, 1) ELSE 1 END)::DECIMAL(38, 6) AS tout,
       NULL::DECIMAL(38, 12) AS reported_cost, NULL::VARCHAR AS reported_currency
FROM bill_rows b
LEFT JOIN bill_ratios r ON r.provider IS NOT DISTINCT FROM b.provider AND r.model IS NOT DISTINCT FROM b.model
WHERE b.input_uncached_tokens IS NOT NULL
  AND ($source IS NULL OR b.source_format = $source OR b.import_id = $source)
