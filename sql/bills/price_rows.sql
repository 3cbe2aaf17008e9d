-- Every row of bill_pricing_input priced at the price-book entry in force at its time (temp tables bill_entries,
-- bill_price_sets, bill_fx; see costbench/bills/repricing.py), with the known causes of a difference from the
-- reported figure. Grain: one row per input row. Same rules as costbench/prices/costs.py: window first
-- (requests only), else the highest tier the request reaches (requests, or rows whose source names the tier).
WITH entry AS (
    SELECT i.*, i.tin + i.tread + i.tw5 + i.tw1 AS total_in, e.entry_id, e.currency, e.request_fee,
           e.has_tiers, e.has_windows
    FROM bill_pricing_input i
    ASOF LEFT JOIN bill_entries e
      ON e.provider = i.provider AND e.model = i.model AND i.occurred_at >= e.effective_from
), tier AS (
    SELECT en.row_id, max(t.level) AS level
    FROM entry en JOIN bill_price_sets t ON t.entry_id = en.entry_id AND t.level BETWEEN 1 AND 99
    WHERE (en.granularity = 'request'
           AND CASE WHEN t.counter = 'total_input' THEN en.total_in ELSE en.tin + en.tread END
               >= t.above_tokens + CASE WHEN t.inclusive THEN 0 ELSE 1 END)
       OR (en.granularity <> 'request' AND en.tier_hint = 'above')
    GROUP BY en.row_id
), win AS (
    SELECT en.row_id, min(w.level) AS level
    FROM entry en JOIN bill_price_sets w ON w.entry_id = en.entry_id AND w.level >= 100
    WHERE en.granularity = 'request'
      AND CASE WHEN w.win_start <= w.win_end
               THEN timezone('UTC', en.occurred_at)::TIME >= w.win_start AND timezone('UTC', en.occurred_at)::TIME < w.win_end
               ELSE timezone('UTC', en.occurred_at)::TIME >= w.win_start OR timezone('UTC', en.occurred_at)::TIME < w.win_end END
    GROUP BY en.row_id
), rated AS (
    SELECT en.*, coalesce(win.level, tier.level, 0) AS level, r.label, r.r_in, r.r_read, r.r_w5, r.r_w1, r.r_out
    FROM entry en LEFT JOIN tier USING (row_id) LEFT JOIN win USING (row_id)
    LEFT JOIN bill_price_sets r ON r.entry_id = en.entry_id AND r.level = coalesce(win.level, tier.level, 0)
), costed AS (
    SELECT *,
           (tin * r_in)::DECIMAL(38, 12) AS c_in, (tread * r_read)::DECIMAL(38, 12) AS c_read,
           (tw5 * r_w5)::DECIMAL(38, 12) AS c_w5, (tw1 * r_w1)::DECIMAL(38, 12) AS c_w1,
           (tout * r_out)::DECIMAL(38, 12) AS c_out,
           (request_fee * coalesce(requests, 1))::DECIMAL(38, 12) AS c_fee
    FROM rated
), fxed AS (
    SELECT c.*, (c.c_in + c.c_read + c.c_w5 + c.c_w1 + c.c_out + c.c_fee) AS native, f.usd AS fx, g.usd AS fx_reported
    FROM costed c
    ASOF LEFT JOIN bill_fx f ON f.currency = c.currency AND c.occurred_at::DATE >= f.since
    ASOF LEFT JOIN bill_fx g ON g.currency = c.reported_currency AND c.occurred_at::DATE >= g.since
)
SELECT row_id, entry_id, currency,
       CASE WHEN level BETWEEN 1 AND 99 THEN label END                  AS tier,
       CASE WHEN level >= 100 THEN label END                            AS time_window,
       c_in, c_read, c_w5, c_w1, c_out, c_fee,
       native::DECIMAL(38, 12)                                          AS total,
       fx::DECIMAL(38, 12)                                              AS fx_rate_to_usd,
       (native * fx)::DECIMAL(38, 12)                                   AS repriced_usd,
       (reported_cost * fx_reported)::DECIMAL(38, 12)                   AS reported_usd,
       nullif(concat_ws('; ',
           CASE WHEN provider IS NULL THEN 'missing price: unmapped model' END,
           CASE WHEN provider IS NOT NULL AND entry_id IS NULL THEN 'missing price: no entry at this date' END,
           CASE WHEN tin IS NULL THEN 'totals only: no input/output split (see whatif estimate)' END,
           CASE WHEN level BETWEEN 1 AND 99 THEN 'long-context tier ' || label END,
           CASE WHEN level >= 100 THEN 'time-of-day window ' || label END,
           CASE WHEN granularity <> 'request' AND has_tiers AND tier_hint IS NULL
                THEN 'tiers: ' || granularity || ' totals priced at the base tier' END,
           CASE WHEN granularity <> 'request' AND has_windows
                THEN 'time-of-day window unknown at ' || granularity || ' granularity' END,
           CASE WHEN coalesce(currency, 'USD') <> 'USD' OR coalesce(reported_currency, 'USD') <> 'USD'
                THEN 'FX' END,
           CASE WHEN reported_cost IS NULL THEN 'no reported cost' END,
           flags), '')                                                 AS causes
FROM fxed
