-- Every row of bill_pricing_input priced at the price-book entry in force at its time (temp tables bill_entries,
-- bill_price_sets, bill_fx_days; see costbench/bills/repricing.py), with the known causes of a difference from the
-- reported figure. Grain: one row per input row. Same rules as costbench/prices/costs.py: a time-of-day window
-- first (requests only), else the highest tier the request reaches (requests, or rows whose source names the
-- tier: the top tier), else the base rates. Level: 0 base, 1..3 tiers, 100/101 windows.
WITH entry AS (
    SELECT i.*, i.tin + i.tread + i.tw5 + i.tw1 AS total_in, i.tin + i.tread AS prompt_in,
           timezone('UTC', i.occurred_at)::TIME AS tod,
           e.entry_id, e.currency, e.request_fee, e.n_tiers, e.has_windows,
           e.t1_above, e.t1_inclusive, e.t1_prompt, e.t2_above, e.t2_inclusive, e.t2_prompt,
           e.t3_above, e.t3_inclusive, e.t3_prompt, e.w1_start, e.w1_end, e.w2_start, e.w2_end
    FROM bill_pricing_input i
    ASOF LEFT JOIN bill_entries e
      ON e.provider = i.provider AND e.model = i.model AND i.occurred_at >= e.effective_from
), leveled AS (
    SELECT *,
        CASE
          WHEN granularity = 'request' AND w1_start IS NOT NULL
               AND CASE WHEN w1_start <= w1_end THEN tod >= w1_start AND tod < w1_end
                        ELSE tod >= w1_start OR tod < w1_end END THEN 100
          WHEN granularity = 'request' AND w2_start IS NOT NULL
               AND CASE WHEN w2_start <= w2_end THEN tod >= w2_start AND tod < w2_end
                        ELSE tod >= w2_start OR tod < w2_end END THEN 101
          WHEN granularity <> 'request' THEN CASE WHEN tier_hint = 'above' THEN n_tiers ELSE 0 END
          WHEN t3_above IS NOT NULL AND CASE WHEN t3_prompt THEN prompt_in ELSE total_in END
               >= t3_above + CASE WHEN t3_inclusive THEN 0 ELSE 1 END THEN 3
          WHEN t2_above IS NOT NULL AND CASE WHEN t2_prompt THEN prompt_in ELSE total_in END
               >= t2_above + CASE WHEN t2_inclusive THEN 0 ELSE 1 END THEN 2
          WHEN t1_above IS NOT NULL AND CASE WHEN t1_prompt THEN prompt_in ELSE total_in END
               >= t1_above + CASE WHEN t1_inclusive THEN 0 ELSE 1 END THEN 1
          ELSE 0 END AS level
    FROM entry
), costed AS (
    SELECT l.*, r.label,
           (l.tin * r.r_in)::DECIMAL(38, 12) AS c_in, (l.tread * r.r_read)::DECIMAL(38, 12) AS c_read,
           (l.tw5 * r.r_w5)::DECIMAL(38, 12) AS c_w5, (l.tw1 * r.r_w1)::DECIMAL(38, 12) AS c_w1,
           (l.tout * r.r_out)::DECIMAL(38, 12) AS c_out,
           (l.request_fee * coalesce(l.requests, 1))::DECIMAL(38, 12) AS c_fee
    FROM leveled l LEFT JOIN bill_price_sets r ON r.entry_id = l.entry_id AND r.level = l.level
), fxed AS (
    SELECT c.*, (c.c_in + c.c_read + c.c_w5 + c.c_w1 + c.c_out + c.c_fee) AS native, f.usd AS fx, g.usd AS fx_reported
    FROM costed c
    LEFT JOIN bill_fx_days f ON f.currency = c.currency AND f.day = c.occurred_at::DATE
    LEFT JOIN bill_fx_days g ON g.currency = c.reported_currency AND g.day = c.occurred_at::DATE
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
           CASE WHEN granularity <> 'request' AND n_tiers > 0 AND tier_hint IS NULL
                THEN 'tiers: ' || granularity || ' totals priced at the base tier' END,
           CASE WHEN granularity <> 'request' AND has_windows
                THEN 'time-of-day window unknown at ' || granularity || ' granularity' END,
           CASE WHEN coalesce(currency, 'USD') <> 'USD' OR coalesce(reported_currency, 'USD') <> 'USD'
                THEN 'FX' END,
           CASE WHEN reported_cost IS NULL THEN 'no reported cost' END,
           flags), '')                                                 AS causes
FROM fxed
