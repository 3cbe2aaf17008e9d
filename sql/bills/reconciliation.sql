-- Truth check: what imported bills reported vs what the dated price book says, per UTC day × source × model.
-- Grain: one row per day × export format × mapped model (unmapped models keep their source id). No parameters.
-- A non-zero delta_usd with no known cause is a price-book error or an unannounced price change.
SELECT b.occurred_at::DATE                                          AS day,
       b.source_format,
       b.provider, coalesce(b.model, b.source_model)                AS model,
       count(*)                                                     AS rows,
       sum(k.reported_usd)::DECIMAL(38, 12)                         AS reported_usd,
       sum(k.repriced_usd)::DECIMAL(38, 12)                         AS repriced_usd,
       sum(k.reported_usd - k.repriced_usd)::DECIMAL(38, 12)        AS delta_usd,    -- over rows with both figures
       count(*) FILTER (WHERE k.reported_usd IS NOT NULL AND k.repriced_usd IS NOT NULL) AS rows_compared,
       string_agg(DISTINCT k.causes, ' | ')                         AS causes
FROM bill_rows b JOIN bill_costs k USING (row_id)
GROUP BY ALL
ORDER BY day, b.source_format, b.provider, model
