-- Why "-50 %" was not -50 %: every price event of the price book, announced vs measured, decomposed.
-- Grain: one row per price event of the current price-book version: a price change (an entry with a previous
-- entry), or a time-of-day window starting (its entry takes effect) or ending (the next entry drops it).
-- Parameter: $window_days — equal windows [D - w, D) "before" and [D, D + w) "after" the effective time D.
-- Announced changes are in the entry's own currency (the previous entry converted at D when currencies
-- differ), so FX never leaks into them; NULL where a field is not priced on both sides. Window events
-- show the window's rates against the entry's base rates (start) or back to them (end); no decomposition.
-- Decomposition (per solved case, USD; list prices at the FX in force at D; NULL when a side has no data):
--   cpst_before/after  = actual spend in the window (costs.total_usd, all attempts) / solved cases in it
--   price_effect       = before-window usage re-priced at the new list prices minus at the old ones
--   cache_effect       = before-window input volume with the after-window cache mix, minus its own mix, at new prices
--   fx_effect          = each side's actual USD spend minus its native spend at the FX of D (after minus before)
--   usage_effect       = the rest (output length, retries, success rate, input volume, tiers, windows)
-- so price_effect + cache_effect + fx_effect + usage_effect = cpst_after - cpst_before exactly.
-- Billing lag is measured: the first call at or after D whose provider-reported cost matches the new entry
-- (reconciled, not flagged), minus the announcement; "not measurable" when the after window has no call, or
-- no call with a provider figure.
WITH version AS (
    SELECT arg_max(pricebook_version, run_at) AS v FROM runs WHERE pricebook_version IS NOT NULL
),
entries AS (
    SELECT pe.*, d.confidence, d.cache_read_priced, d.cache_write_5m_priced, d.previous_to_own_currency
    FROM price_entries pe
    LEFT JOIN price_entry_details d ON d.pricebook_version = pe.pricebook_version AND d.entry_id = pe.entry_id
    WHERE pe.pricebook_version = (SELECT v FROM version)
),
changes AS (
    SELECT cur.provider, cur.model, cur.previous_entry_id, cur.entry_id, cur.announced_on, cur.effective_from,
           cur.currency, CASE WHEN cur.confidence = 'unverified' OR prev.confidence = 'unverified' THEN 'unverified'
                              WHEN cur.confidence = 'confirmed' AND prev.confidence = 'confirmed' THEN 'confirmed'
                         END AS confidence,
           coalesce(cur.previous_to_own_currency, 1) AS conv,   -- previous currency → own currency at D
           cur.fx_rate_to_usd AS rate_d,                        -- own currency → USD at D
           cur.cache_read_priced AND prev.cache_read_priced AS rd_priced,
           cur.cache_write_5m_priced AND prev.cache_write_5m_priced AS w5_priced,
           -- the previous entry's prices in this entry's currency (converted at D), per Mtok
           (prev.input_uncached_per_mtok * coalesce(cur.previous_to_own_currency, 1))::DECIMAL(38, 12) AS p_in,
           (prev.cache_read_per_mtok * coalesce(cur.previous_to_own_currency, 1))::DECIMAL(38, 12) AS p_rd,
           (prev.cache_write_5m_per_mtok * coalesce(cur.previous_to_own_currency, 1))::DECIMAL(38, 12) AS p_w5,
           (prev.cache_write_1h_per_mtok * coalesce(cur.previous_to_own_currency, 1))::DECIMAL(38, 12) AS p_w1,
           (prev.output_per_mtok * coalesce(cur.previous_to_own_currency, 1))::DECIMAL(38, 12) AS p_out,
           cur.input_uncached_per_mtok AS c_in, cur.cache_read_per_mtok AS c_rd, cur.cache_write_5m_per_mtok AS c_w5,
           cur.cache_write_1h_per_mtok AS c_w1, cur.output_per_mtok AS c_out
    FROM entries cur JOIN entries prev ON prev.entry_id = cur.previous_entry_id
),
windowed AS (   -- the daily_usage rollup (refreshed when a run is priced); a run's calls share one side
    SELECT ch.entry_id, d.run_id, d.provider, d.model, d.first_requested_at >= ch.effective_from AS after,
           d.calls, d.solved, d.spend_usd, d.input_uncached_tokens AS t_in, d.cache_read_tokens AS t_rd,
           d.cache_write_5m_tokens AS t_w5, d.cache_write_1h_tokens AS t_w1, d.output_tokens AS t_out
    FROM changes ch
    JOIN daily_usage d ON d.provider = ch.provider AND d.model = ch.model
     AND d.first_requested_at >= ch.effective_from - to_days($window_days::INTEGER)
     AND d.first_requested_at < ch.effective_from + to_days($window_days::INTEGER)
    JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
),
sides AS (
    SELECT entry_id, after, sum(calls) AS calls, sum(solved) AS solved, sum(spend_usd)::DECIMAL(38, 12) AS spend_usd,
           sum(t_in) AS t_in, sum(t_rd) AS t_rd, sum(t_w5) AS t_w5, sum(t_w1) AS t_w1, sum(t_out) AS t_out
    FROM windowed GROUP BY ALL
),
side_native AS (   -- each side's spend in USD as billed, and its native spend at the FX in force at D
    -- (the priced rows of the night_usage rollup: Σ total × rate = Σ (total × rate), exact in DECIMAL)
    SELECT w.entry_id, w.after, sum(n.spend_usd)::DECIMAL(38, 12) AS spend_usd,
           sum(n.total_native * CASE WHEN n.currency = ch.currency THEN ch.rate_d
                                     ELSE (ch.rate_d * ch.conv)::DECIMAL(38, 12) END)::DECIMAL(38, 12) AS spend_at_fx_of_d
    FROM (SELECT DISTINCT entry_id, after, run_id, provider, model FROM windowed) w
    JOIN changes ch ON ch.entry_id = w.entry_id
    JOIN night_usage n ON n.run_id = w.run_id AND n.provider = w.provider AND n.model = w.model
     AND n.entry_id IS NOT NULL
    GROUP BY ALL
),
paired AS (
    SELECT ch.*, b.calls AS calls_before, a.calls AS calls_after, b.solved AS solved_before, a.solved AS solved_after,
           money_div(b.spend_usd, b.solved) AS cpst_before_usd, money_div(a.spend_usd, a.solved) AS cpst_after_usd,
           b.t_in AS b_in, b.t_rd AS b_rd, b.t_w5 AS b_w5, b.t_w1 AS b_w1, b.t_out AS b_out,
           (a.t_in + a.t_rd + a.t_w5 + a.t_w1) AS a_input, (b.t_in + b.t_rd + b.t_w5 + b.t_w1) AS b_input,
           a.t_in AS a_in, a.t_rd AS a_rd, a.t_w5 AS a_w5, a.t_w1 AS a_w1,
           nb.spend_usd - nb.spend_at_fx_of_d AS b_fx_usd, na.spend_usd - na.spend_at_fx_of_d AS a_fx_usd
    FROM changes ch
    LEFT JOIN sides b ON b.entry_id = ch.entry_id AND NOT b.after
    LEFT JOIN sides a ON a.entry_id = ch.entry_id AND a.after
    LEFT JOIN side_native nb ON nb.entry_id = ch.entry_id AND NOT nb.after
    LEFT JOIN side_native na ON na.entry_id = ch.entry_id AND na.after
),
effects AS (
    SELECT *,
           -- Σ tokens × own-currency price per Mtok, then × FX of D, then per token
           ((b_in * (c_in - p_in) + b_rd * (c_rd - p_rd) + b_w5 * (c_w5 - p_w5) + b_w1 * (c_w1 - p_w1)
             + b_out * (c_out - p_out))::DECIMAL(38, 12) * rate_d * 0.000001)::DECIMAL(38, 12) AS price_delta_usd,
           ((b_input * ((a_in * c_in + a_rd * c_rd + a_w5 * c_w5 + a_w1 * c_w1) / nullif(a_input, 0))::DECIMAL(38, 12)
             - (b_in * c_in + b_rd * c_rd + b_w5 * c_w5 + b_w1 * c_w1))::DECIMAL(38, 12) * rate_d * 0.000001)::DECIMAL(38, 12)
               AS cache_delta_usd
    FROM paired
),
decomposed AS (
    SELECT *, money_div(price_delta_usd, solved_before) AS price_effect_usd,
           money_div(cache_delta_usd, solved_before) AS cache_effect_usd,
           money_div(a_fx_usd, solved_after) - money_div(b_fx_usd, solved_before) AS fx_effect_usd
    FROM effects
),
billing AS (       -- the first call at or after D that the provider billed at the new entry
    SELECT ch.entry_id, count(*) AS reported_calls,
           min(c.requested_at) FILTER (WHERE k.entry_id = ch.entry_id AND NOT k.reconciliation_flag) AS billed_from
    FROM changes ch
    JOIN calls c ON c.provider = ch.provider AND c.model = ch.model AND c.provider_reported_cost_usd IS NOT NULL
     AND c.requested_at >= ch.effective_from AND c.requested_at < ch.effective_from + to_days($window_days::INTEGER)
    JOIN costs k ON k.call_id = c.call_id
    JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
    GROUP BY ALL
),
price_events AS (
    SELECT 'price change' AS event_kind, e.provider, e.model, e.previous_entry_id, e.entry_id,
           NULL::VARCHAR AS window_name, NULL::VARCHAR AS window_hours,
           e.announced_on, e.effective_from, e.currency, e.confidence,
           CASE WHEN bl.billed_from IS NOT NULL THEN 'provider-reported cost'
                WHEN bl.reported_calls > 0 THEN 'provider bills still differ from the new entry'
                WHEN coalesce(e.calls_after, 0) = 0 THEN 'not measurable (no calls in the window)'
                ELSE 'not measurable (no provider-reported cost)' END AS billing_lag_basis,
           bl.billed_from::DATE - e.announced_on AS billing_lag_days,
           (e.c_in / nullif(e.p_in, 0) - 1)::DOUBLE * 100 AS advertised_input_change_pct,
           CASE WHEN e.rd_priced THEN (e.c_rd / nullif(e.p_rd, 0) - 1)::DOUBLE * 100 END
               AS advertised_cache_read_change_pct,
           CASE WHEN e.w5_priced THEN (e.c_w5 / nullif(e.p_w5, 0) - 1)::DOUBLE * 100 END
               AS advertised_cache_write_change_pct,
           (e.c_out / nullif(e.p_out, 0) - 1)::DOUBLE * 100 AS advertised_output_change_pct,
           ((e.b_in * e.c_in + e.b_rd * e.c_rd + e.b_w5 * e.c_w5 + e.b_w1 * e.c_w1 + e.b_out * e.c_out)
            / nullif((e.b_in * e.p_in + e.b_rd * e.p_rd + e.b_w5 * e.p_w5 + e.b_w1 * e.p_w1
                      + e.b_out * e.p_out), 0) - 1)::DOUBLE * 100 AS advertised_blended_change_pct,
           e.cpst_before_usd, e.cpst_after_usd,
           (e.cpst_after_usd / nullif(e.cpst_before_usd, 0) - 1)::DOUBLE * 100 AS measured_cpst_change_pct,
           e.price_effect_usd, e.cache_effect_usd, e.fx_effect_usd,
           e.cpst_after_usd - e.cpst_before_usd - e.price_effect_usd - e.cache_effect_usd - e.fx_effect_usd
               AS usage_effect_usd,
           coalesce(e.calls_before, 0) AS calls_before, coalesce(e.calls_after, 0) AS calls_after
    FROM decomposed e LEFT JOIN billing bl USING (entry_id)
),
window_events AS (  -- a window starts with its entry, and ends with the first later entry that drops it
    SELECT 'window ' || ev.kind AS event_kind, e.provider, e.model, e.previous_entry_id, e.entry_id, ev.window_name,
           left(ev.start_utc::VARCHAR, 5) || '–' || left(ev.end_utc::VARCHAR, 5) || ' UTC' AS window_hours,
           e.announced_on, e.effective_from, e.currency, e.confidence, NULL::VARCHAR AS billing_lag_basis,
           NULL::INTEGER AS billing_lag_days,
           (ev.win_in / nullif(ev.base_in, 0) - 1)::DOUBLE * 100 AS advertised_input_change_pct,
           CASE WHEN e.cache_read_priced THEN (ev.win_rd / nullif(ev.base_rd, 0) - 1)::DOUBLE * 100 END
               AS advertised_cache_read_change_pct,
           CASE WHEN e.cache_write_5m_priced THEN (ev.win_w5 / nullif(ev.base_w5, 0) - 1)::DOUBLE * 100 END
               AS advertised_cache_write_change_pct,
           (ev.win_out / nullif(ev.base_out, 0) - 1)::DOUBLE * 100 AS advertised_output_change_pct,
           NULL::DOUBLE AS advertised_blended_change_pct, NULL::DECIMAL(38, 12) AS cpst_before_usd,
           NULL::DECIMAL(38, 12) AS cpst_after_usd, NULL::DOUBLE AS measured_cpst_change_pct,
           NULL::DECIMAL(38, 12) AS price_effect_usd, NULL::DECIMAL(38, 12) AS cache_effect_usd,
           NULL::DECIMAL(38, 12) AS fx_effect_usd, NULL::DECIMAL(38, 12) AS usage_effect_usd,
           0::BIGINT AS calls_before, 0::BIGINT AS calls_after
    FROM (
        SELECT 'start' AS kind, w.entry_id AS at_entry, w.window_name, w.start_utc, w.end_utc,
               w.input_uncached_per_mtok AS win_in, pe.input_uncached_per_mtok AS base_in,
               w.cache_read_per_mtok AS win_rd, pe.cache_read_per_mtok AS base_rd,
               w.cache_write_5m_per_mtok AS win_w5, pe.cache_write_5m_per_mtok AS base_w5,
               w.output_per_mtok AS win_out, pe.output_per_mtok AS base_out
        FROM price_windows w JOIN entries pe ON pe.entry_id = w.entry_id AND pe.pricebook_version = w.pricebook_version
        WHERE NOT EXISTS (SELECT 1 FROM price_windows o WHERE o.pricebook_version = w.pricebook_version
                          AND o.entry_id = pe.previous_entry_id AND o.window_name = w.window_name)
        UNION ALL
        SELECT 'end', nxt.entry_id, w.window_name, w.start_utc, w.end_utc,
               nxt.input_uncached_per_mtok, w.input_uncached_per_mtok, nxt.cache_read_per_mtok, w.cache_read_per_mtok,
               nxt.cache_write_5m_per_mtok, w.cache_write_5m_per_mtok, nxt.output_per_mtok, w.output_per_mtok
        FROM price_windows w JOIN entries nxt ON nxt.previous_entry_id = w.entry_id
        WHERE w.pricebook_version = (SELECT v FROM version)
          AND NOT EXISTS (SELECT 1 FROM price_windows o WHERE o.pricebook_version = w.pricebook_version
                          AND o.entry_id = nxt.entry_id AND o.window_name = w.window_name)
    ) ev JOIN entries e ON e.entry_id = ev.at_entry
)
SELECT * FROM price_events
UNION ALL BY NAME
SELECT * FROM window_events
ORDER BY effective_from, provider, model, event_kind
