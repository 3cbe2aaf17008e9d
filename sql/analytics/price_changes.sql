-- Why "-50 %" was not -50 %: every price change in the price book, announced vs measured, decomposed.
-- Grain: one row per price change (a price_entries row with a previous entry) of the current price-book version.
-- Parameter: $window_days — equal windows [D - w, D) "before" and [D, D + w) "after" the effective time D.
-- Definitions (per solved case, USD, list prices converted at each entry's FX rate):
--   cpst_before/after  = actual spend in the window (costs.total_usd, all attempts) / solved cases in it
--   price_effect       = before-window usage re-priced at the new list prices minus at the old ones
--   cache_effect       = before-window input volume with the after-window cache mix (uncached/read/write
--                        shares), minus with its own mix, priced at the new list prices
--   usage_effect       = the rest: measured change - price effect - cache effect (output length, retries,
--                        success rate, input volume, and anything list prices miss: tiers, windows, FX)
-- so price_effect + cache_effect + usage_effect = cpst_after - cpst_before exactly.
WITH version AS (
    SELECT arg_max(pricebook_version, run_at) AS v FROM runs WHERE pricebook_version IS NOT NULL
),
changes AS (
    SELECT cur.provider, cur.model, cur.previous_entry_id, cur.entry_id, cur.announced_on, cur.effective_from,
           prev.input_uncached_per_mtok * prev.fx_rate_to_usd * 0.000001 AS p_in, cur.input_uncached_per_mtok * cur.fx_rate_to_usd * 0.000001 AS c_in,
           prev.cache_read_per_mtok * prev.fx_rate_to_usd * 0.000001 AS p_rd, cur.cache_read_per_mtok * cur.fx_rate_to_usd * 0.000001 AS c_rd,
           prev.cache_write_5m_per_mtok * prev.fx_rate_to_usd * 0.000001 AS p_w5, cur.cache_write_5m_per_mtok * cur.fx_rate_to_usd * 0.000001 AS c_w5,
           prev.cache_write_1h_per_mtok * prev.fx_rate_to_usd * 0.000001 AS p_w1, cur.cache_write_1h_per_mtok * cur.fx_rate_to_usd * 0.000001 AS c_w1,
           prev.output_per_mtok * prev.fx_rate_to_usd * 0.000001 AS p_out, cur.output_per_mtok * cur.fx_rate_to_usd * 0.000001 AS c_out
    FROM price_entries cur
    JOIN price_entries prev ON prev.entry_id = cur.previous_entry_id AND prev.pricebook_version = cur.pricebook_version
    WHERE cur.pricebook_version = (SELECT v FROM version)
),
windowed AS (   -- the daily_usage rollup (refreshed when a run is priced); a run's calls share one side
    SELECT ch.entry_id, d.first_requested_at >= ch.effective_from AS after, d.first_requested_at AS requested_at,
           d.calls, d.solved, d.spend_usd, d.input_uncached_tokens AS t_in, d.cache_read_tokens AS t_rd,
           d.cache_write_5m_tokens AS t_w5, d.cache_write_1h_tokens AS t_w1, d.output_tokens AS t_out,
           d.entry_id AS billed_entry
    FROM changes ch
    JOIN daily_usage d ON d.provider = ch.provider AND d.model = ch.model
     AND d.first_requested_at >= ch.effective_from - to_days($window_days::INTEGER)
     AND d.first_requested_at < ch.effective_from + to_days($window_days::INTEGER)
    JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
),
sides AS (
    SELECT entry_id, after, sum(calls) AS calls, sum(solved) AS solved,
           coalesce(sum(spend_usd), 0)::DECIMAL(38, 12) AS spend_usd,
           sum(t_in) AS t_in, sum(t_rd) AS t_rd, sum(t_w5) AS t_w5, sum(t_w1) AS t_w1, sum(t_out) AS t_out
    FROM windowed GROUP BY ALL
),
paired AS (
    SELECT ch.*, b.calls AS calls_before, a.calls AS calls_after,
           money_div(b.spend_usd, b.solved) AS cpst_before_usd, money_div(a.spend_usd, a.solved) AS cpst_after_usd,
           b.solved AS solved_before, b.t_in AS b_in, b.t_rd AS b_rd, b.t_w5 AS b_w5, b.t_w1 AS b_w1, b.t_out AS b_out,
           (a.t_in + a.t_rd + a.t_w5 + a.t_w1) AS a_input, (b.t_in + b.t_rd + b.t_w5 + b.t_w1) AS b_input,
           a.t_in AS a_in, a.t_rd AS a_rd, a.t_w5 AS a_w5, a.t_w1 AS a_w1
    FROM changes ch
    LEFT JOIN sides b ON b.entry_id = ch.entry_id AND NOT b.after
    LEFT JOIN sides a ON a.entry_id = ch.entry_id AND a.after
),
effects AS (
    SELECT *,
           money_div((b_in * (c_in - p_in) + b_rd * (c_rd - p_rd) + b_w5 * (c_w5 - p_w5) + b_w1 * (c_w1 - p_w1)
                      + b_out * (c_out - p_out))::DECIMAL(38, 12), solved_before) AS price_effect_usd,
           -- the after-window mix applied to the before-window input volume, minus the before mix, at new prices
           money_div((b_input * ((a_in * c_in + a_rd * c_rd + a_w5 * c_w5 + a_w1 * c_w1) / nullif(a_input, 0))
                      - (b_in * c_in + b_rd * c_rd + b_w5 * c_w5 + b_w1 * c_w1))::DECIMAL(38, 12), solved_before)
               AS cache_effect_usd
    FROM paired
)
SELECT provider,
       model,
       previous_entry_id,
       entry_id,
       announced_on,
       effective_from,
       (SELECT min(requested_at) FROM windowed w WHERE w.entry_id = e.entry_id AND w.billed_entry = e.entry_id)::DATE
           - announced_on
                                                                        AS billing_lag_days,   -- first bill at the new price - announcement
       (c_in / nullif(p_in, 0) - 1)::DOUBLE * 100                       AS advertised_input_change_pct,
       (c_out / nullif(p_out, 0) - 1)::DOUBLE * 100                     AS advertised_output_change_pct,
       (c_rd / nullif(p_rd, 0) - 1)::DOUBLE * 100                       AS advertised_cache_read_change_pct,
       ((b_in * c_in + b_rd * c_rd + b_w5 * c_w5 + b_w1 * c_w1 + b_out * c_out)
        / nullif(b_in * p_in + b_rd * p_rd + b_w5 * p_w5 + b_w1 * p_w1 + b_out * p_out, 0) - 1)::DOUBLE * 100
                                                                        AS advertised_blended_change_pct,  -- at the before-window token mix
       cpst_before_usd,
       cpst_after_usd,
       (cpst_after_usd / nullif(cpst_before_usd, 0) - 1)::DOUBLE * 100  AS measured_cpst_change_pct,
       price_effect_usd,
       cpst_after_usd - cpst_before_usd - price_effect_usd - coalesce(cache_effect_usd, 0) AS usage_effect_usd,
       coalesce(cache_effect_usd, 0)::DECIMAL(38, 12)                   AS cache_effect_usd,
       coalesce(calls_before, 0)                                        AS calls_before,
       coalesce(calls_after, 0)                                         AS calls_after
FROM effects e
ORDER BY effective_from, provider, model
