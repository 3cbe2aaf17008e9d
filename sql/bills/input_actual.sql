-- The bill rows to re-price at their own (mapped) model: every row, or with $only_new only the rows with no
-- cost at price-book version $version. Grain: one row per bill row. Feeds sql/bills/price_rows.sql.
CREATE OR REPLACE TEMP TABLE bill_pricing_input AS
SELECT b.row_id, b.occurred_at, b.granularity, b.requests, b.tier_hint, b.flags, b.provider, b.model,
       b.input_uncached_tokens::DECIMAL(38, 6) AS tin, b.cache_read_tokens::DECIMAL(38, 6) AS tread,
       b.cache_write_5m_tokens::DECIMAL(38, 6) AS tw5, b.cache_write_1h_tokens::DECIMAL(38, 6) AS tw1,
       b.output_tokens::DECIMAL(38, 6) AS tout, b.reported_cost, b.reported_currency
FROM bill_rows b
LEFT JOIN bill_costs k ON k.row_id = b.row_id AND k.pricebook_version = $version
WHERE NOT $only_new OR k.row_id IS NULL
