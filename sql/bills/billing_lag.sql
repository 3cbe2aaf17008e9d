-- Measured billing lag: for each price change of a model that imported bills cover, the first UTC day (on or after
-- the change) whose reported cost is closer to the new list price than to the old one, and its distance in days.
-- Grain: one row per price change (price_entries rows with a previous entry, at the latest synced price-book
-- version) that has billed days after it. Base list prices only (tiers and windows ignored); amounts in USD at
-- each entry's FX rate. first_billed_day is NULL while every billed day still matches the old price.
WITH version AS (
    SELECT pricebook_version FROM bill_costs ORDER BY priced_at DESC LIMIT 1
), changes AS (
    SELECT n.provider, n.model, n.entry_id, n.effective_from, n.announced_on, n AS new_e, o AS old_e
    FROM price_entries n JOIN price_entries o
      ON o.pricebook_version = n.pricebook_version AND o.entry_id = n.previous_entry_id
    WHERE n.pricebook_version = (SELECT pricebook_version FROM version)
), days AS (
    SELECT c.entry_id, b.occurred_at::DATE AS day, sum(k.reported_usd) AS reported_usd,
           money_div(sum(b.input_uncached_tokens * (c.new_e).input_uncached_per_mtok
                         + b.cache_read_tokens * (c.new_e).cache_read_per_mtok
                         + b.cache_write_5m_tokens * (c.new_e).cache_write_5m_per_mtok
                         + b.cache_write_1h_tokens * (c.new_e).cache_write_1h_per_mtok
                         + b.output_tokens * (c.new_e).output_per_mtok) * any_value((c.new_e).fx_rate_to_usd),
                     1000000) AS new_usd,
           money_div(sum(b.input_uncached_tokens * (c.old_e).input_uncached_per_mtok
                         + b.cache_read_tokens * (c.old_e).cache_read_per_mtok
                         + b.cache_write_5m_tokens * (c.old_e).cache_write_5m_per_mtok
                         + b.cache_write_1h_tokens * (c.old_e).cache_write_1h_per_mtok
                         + b.output_tokens * (c.old_e).output_per_mtok) * any_value((c.old_e).fx_rate_to_usd),
                     1000000) AS old_usd
    FROM changes c
    JOIN bill_rows b ON b.provider = c.provider AND b.model = c.model AND b.occurred_at >= c.effective_from
                    AND b.input_uncached_tokens IS NOT NULL
    JOIN bill_costs k ON k.row_id = b.row_id AND k.reported_usd IS NOT NULL
    GROUP BY c.entry_id, day
)
SELECT c.provider, c.model, c.entry_id,
       c.effective_from::DATE                                                   AS effective_on,
       c.announced_on,
       count(d.day)                                                             AS billed_days,
       min(d.day) FILTER (WHERE abs(d.reported_usd - d.new_usd) < abs(d.reported_usd - d.old_usd)) AS first_billed_day,
       date_diff('day', c.effective_from::DATE,
                 min(d.day) FILTER (WHERE abs(d.reported_usd - d.new_usd) < abs(d.reported_usd - d.old_usd))) AS lag_days
FROM changes c JOIN days d USING (entry_id)
GROUP BY ALL
ORDER BY c.effective_from, c.provider, c.model
