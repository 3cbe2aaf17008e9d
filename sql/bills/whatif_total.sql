-- The sum of the priced what-if rows (temp view bill_priced) and how many could not be priced, by reason.
-- Grain: one row.
SELECT sum(repriced_usd)::DECIMAL(38, 12)                                AS cost_usd,
       count(*) FILTER (WHERE repriced_usd IS NOT NULL)                  AS rows,
       count(*) FILTER (WHERE repriced_usd IS NULL)                      AS rows_unpriced,
       count(*) FILTER (WHERE causes LIKE '%priced at the base tier%')   AS rows_tier_unknown,
       count(*) FILTER (WHERE tier IS NOT NULL)                          AS rows_in_tier,
       count(*) FILTER (WHERE causes LIKE '%window unknown%')            AS rows_window_unknown
FROM bill_priced
