-- What the imported bills (all, or one export format / import id $source) reported and re-price to at their own
-- models. Grain: one row.
SELECT count(*)                                                    AS rows,
       sum(b.requests)                                             AS requests,
       sum(b.total_tokens)                                         AS total_tokens,
       sum(k.reported_usd)::DECIMAL(38, 12)                        AS reported_usd,
       sum(k.repriced_usd)::DECIMAL(38, 12)                        AS repriced_usd,
       count(*) FILTER (WHERE k.reported_usd IS NULL)              AS rows_without_reported,
       count(*) FILTER (WHERE k.repriced_usd IS NULL)              AS rows_not_repriced,
       count(*) FILTER (WHERE b.input_uncached_tokens IS NULL)     AS totals_only_rows
FROM bill_rows b JOIN bill_costs k USING (row_id)
WHERE $source IS NULL OR b.source_format = $source OR b.import_id = $source
