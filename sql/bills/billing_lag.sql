-- Measured billing lag: for each price change of a model that imported bills cover, the first UTC day (on or after
-- the change) whose reported cost is closer to the new list price than to the old one, and its distance in days.
-- Grain: one row per price change (price_entries rows with a previous entry, at the latest price-book version
-- bills were priced with) that has billed days after it and before the next change. Base list prices only (tiers
-- and windows ignored), USD at each entry's FX rate. first_billed_day is NULL while every billed day still matches
-- the old price.
WITH version AS (
    SELECT pricebook_version FROM bill_costs ORDER BY priced_at DESC LIMIT 1
), entries AS (
    SELECT *, lead(effective_from) OVER (PARTITION BY provider, model ORDER BY effective_from) AS next_from
    FROM price_entries WHERE pricebook_version = (SELECT pricebook_version FROM version)
), billed AS (
    SELECT n.entry_id, b.occurred_at::DATE AS day,
           sum(k.reported_usd) AS reported_usd,
           sum(b.input_uncached_tokens) AS t_in, sum(b.cache_read_tokens) AS t_read,
           sum(b.cache_write_5m_tokens) AS t_w5, sum(b.cache_write_1h_tokens) AS t_w1, sum(b.output_tokens) AS t_out
    FROM entries n
    JOIN bill_rows b ON b.provider = n.provider AND b.model = n.model AND b.occurred_at >= n.effective_from
                    AND (n.next_from IS NULL OR b.occurred_at < n.next_from) AND b.input_uncached_tokens IS NOT NULL
    JOIN bill_costs k ON k.row_id = b.row_id AND k.reported_usd IS NOT NULL
    WHERE n.previous_entry_id IS NOT NULL
    GROUP BY n.entry_id, day
), days AS (
    SELECT d.entry_id, d.day, d.reported_usd,
           money_div(d.t_in * n.input_uncached_per_mtok + d.t_read * n.cache_read_per_mtok
                     + d.t_w5 * n.cache_write_5m_per_mtok + d.t_w1 * n.cache_write_1h_per_mtok
                     + d.t_out * n.output_per_mtok, 1000000) * n.fx_rate_to_usd AS new_usd,
           money_div(d.t_in * o.input_uncached_per_mtok + d.t_read * o.cache_read_per_mtok
                     + d.t_w5 * o.cache_write_5m_per_mtok + d.t_w1 * o.cache_write_1h_per_mtok
                     + d.t_out * o.output_per_mtok, 1000000) * o.fx_rate_to_usd AS old_usd
    FROM billed d JOIN entries n USING (entry_id) JOIN entries o ON o.entry_id = n.previous_entry_id
)
SELECT n.provider, n.model, n.entry_id,
       n.effective_from::DATE                                                   AS effective_on,
       n.announced_on,
       count(*)                                                                 AS billed_days,
       min(d.day) FILTER (WHERE abs(d.reported_usd - d.new_usd) < abs(d.reported_usd - d.old_usd)) AS first_billed_day,
       date_diff('day', n.effective_from::DATE,
                 min(d.day) FILTER (WHERE abs(d.reported_usd - d.new_usd) < abs(d.reported_usd - d.old_usd))) AS lag_days
FROM days d JOIN entries n USING (entry_id)
GROUP BY n.provider, n.model, n.entry_id, n.effective_from, n.announced_on
ORDER BY n.effective_from, n.provider, n.model
