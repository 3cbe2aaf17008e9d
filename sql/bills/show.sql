-- Imported bills: reported vs re-priced cost (USD, at the dated price book) grouped by $by: 'day' (UTC day of the
-- row's start), 'model' (mapped price-book model, or "unmapped: <id>") or 'source' (export format).
-- Grain: one row per group. difference_usd = reported - re-priced over the rows where both are known.
WITH rowcauses AS (
    SELECT b.row_id, c.cause
    FROM bill_rows b JOIN bill_costs k USING (row_id), unnest(string_split(k.causes, '; ')) AS c(cause)
    WHERE k.causes IS NOT NULL
), keyed AS (
    SELECT b.row_id,
           CASE $by WHEN 'day' THEN strftime(b.occurred_at, '%Y-%m-%d')
                    WHEN 'model' THEN coalesce(b.provider || '/' || b.model, 'unmapped: ' || b.source_model)
                    ELSE b.source_format END                                        AS key,
           b.granularity, b.requests, b.total_tokens, k.reported_usd, k.repriced_usd
    FROM bill_rows b JOIN bill_costs k USING (row_id)
)
SELECT key,
       count(*)                                                                      AS rows,
       sum(requests)                                                                 AS requests,   -- NULL: not reported
       sum(total_tokens)                                                             AS total_tokens,
       sum(reported_usd)::DECIMAL(38, 12)                                            AS reported_usd,
       sum(repriced_usd)::DECIMAL(38, 12)                                            AS repriced_usd,
       sum(reported_usd - repriced_usd)::DECIMAL(38, 12)                             AS difference_usd,
       count(*) FILTER (WHERE reported_usd IS NULL)                                  AS rows_without_reported,
       count(*) FILTER (WHERE repriced_usd IS NULL)                                  AS rows_not_repriced,
       string_agg(DISTINCT granularity, ', ' ORDER BY granularity)                   AS granularity,
       (SELECT string_agg(DISTINCT rc.cause, '; ' ORDER BY rc.cause)
          FROM rowcauses rc JOIN keyed k2 USING (row_id) WHERE k2.key = keyed.key)   AS causes
FROM keyed
GROUP BY key
ORDER BY key
