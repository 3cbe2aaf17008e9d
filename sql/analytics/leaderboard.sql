-- The leaderboard: success rate, effective cost per solved task with a 95 % bootstrap interval, advertised
-- vs effective $/Mtok and cache hit rate. advertised_input/output = the list prices of the entries in force
-- during the data window (those that priced its calls; never a later entry), weighted by calls and listed in
-- advertised_entries; the blended advertised price uses the list prices in force at each call. Grain: one row per provider × model over runs that passed the gate.
-- Bootstrap: 200 deterministic replicates resampling clusters with replacement (stable_pick: an integer hash
-- seeded by md5('provider/model'), the same on every DuckDB version; migrations 0008, 0017): whole
-- nights once a model has 10 or more, (night, task) pairs before that; interval = 2.5 % / 97.5 % discrete
-- quantiles of the replicates' cost per solved task, kept by the key of its clusters (migration 0015: drawn only
-- when not kept; cpst_ci_key). No parameters. Reads the night_usage rollup (one row per
-- run × model × price entry), and daily_usage only for the (night, task) units of models with under 10 nights.
WITH ok AS (      -- the night_usage rollup; token sums NULL only when every call's usage was NULL, counted as 0
    SELECT d.run_id, d.provider, d.model, d.entry_id, d.calls, d.attempts, d.solved, d.spend_usd,
           coalesce(d.input_uncached_tokens, 0) AS input_uncached_tokens, coalesce(d.cache_read_tokens, 0) AS cache_read_tokens,
           coalesce(d.cache_write_5m_tokens, 0) AS cache_write_5m_tokens,
           coalesce(d.cache_write_1h_tokens, 0) AS cache_write_1h_tokens, coalesce(d.output_tokens, 0) AS output_tokens,
           r.simulated, r.pricebook_version,
           pe.input_uncached_per_mtok * pe.fx_rate_to_usd AS list_in_usd,   -- list prices of the entry that priced it
           pe.output_per_mtok * pe.fx_rate_to_usd AS list_out_usd
    FROM night_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
    LEFT JOIN price_entries pe ON pe.entry_id = d.entry_id AND pe.pricebook_version = r.pricebook_version
),
nights AS (
    SELECT provider, model, count(DISTINCT run_id) AS runs FROM ok GROUP BY ALL
),
units AS (
    -- the resampled cluster: a whole night once there are 10 or more, else a (night, task) pair
    SELECT o.provider, o.model, o.run_id AS unit, sum(o.spend_usd) AS spend_usd, sum(o.solved) AS solved
    FROM ok o JOIN nights n USING (provider, model) WHERE n.runs >= 10 GROUP BY ALL
    UNION ALL
    SELECT d.provider, d.model, d.run_id || '/' || d.task_id, sum(d.spend_usd), sum(d.solved)
    FROM daily_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
    JOIN nights n ON n.provider = d.provider AND n.model = d.model AND n.runs < 10
    GROUP BY ALL
),
models AS (      -- mkey: an integer per model; its seed text and seed, computed once
    SELECT provider, model, row_number() OVER (ORDER BY provider, model) AS mkey, provider || '/' || model AS seed_text,
           ('0x' || left(md5(provider || '/' || model), 7))::BIGINT AS seed
    FROM (SELECT DISTINCT provider, model FROM units)
),
clusters AS (    -- what bootstrap_ci (migration 0017) resamples: index, count, spend in integer picodollars
    SELECT g.mkey AS key, g.seed_text, g.seed, u.solved, (u.spend_usd * 1000000000000)::HUGEINT AS spend_pusd,
           row_number() OVER (PARTITION BY g.mkey ORDER BY u.unit) - 1 AS idx,
           count(*) OVER (PARTITION BY g.mkey) AS n
    FROM units u JOIN models g USING (provider, model)
),
ci AS (
    SELECT k.provider, k.model, b.clusters_md5, b.low_usd AS lo, b.high_usd AS hi
    FROM bootstrap_ci(clusters) b JOIN models k ON k.mkey = b.key
),
totals AS (
    SELECT provider, model, bool_or(simulated) AS simulated,
           sum(attempts) AS attempts, sum(solved) AS solved,
           coalesce(sum(spend_usd), 0)::DECIMAL(38, 12) AS spend_usd,
           sum(input_uncached_tokens) AS uncached, sum(cache_read_tokens) AS cache_read,
           sum(cache_write_5m_tokens + cache_write_1h_tokens) AS cache_write, sum(output_tokens) AS output_tokens,
           sum((input_uncached_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens) * list_in_usd
               + output_tokens * list_out_usd)::DECIMAL(38, 12) AS list_cost_usd_mtok
    FROM ok GROUP BY ALL
),
latest AS (      -- "advertised": the entries that priced the window's calls, weighted by calls
    SELECT o.provider, o.model, money_div(sum(o.calls * o.list_in_usd), sum(o.calls)) AS in_usd,
           money_div(sum(o.calls * o.list_out_usd), sum(o.calls)) AS out_usd,
           string_agg(DISTINCT o.entry_id, ', ' ORDER BY o.entry_id) AS entries,
           bool_or(pd.confidence = 'unverified') AS unverified
    FROM ok o
    LEFT JOIN price_entry_details pd ON pd.entry_id = o.entry_id AND pd.pricebook_version = o.pricebook_version
    WHERE o.list_in_usd IS NOT NULL
    GROUP BY ALL
)
SELECT t.provider,
       t.model,
       t.simulated,
       t.attempts,
       t.solved,
       t.solved / nullif(t.attempts, 0)                                    AS success_rate,
       t.spend_usd,
       money_div(t.spend_usd, t.solved)                                    AS cost_per_solved_task_usd,
       ci.lo                                                               AS cpst_ci_low_usd,
       ci.hi                                                               AS cpst_ci_high_usd,
       ci.clusters_md5                                                     AS cpst_ci_key,   -- migration 0015
       l.in_usd::DECIMAL(38, 12)                                           AS advertised_input_per_mtok_usd,
       l.out_usd::DECIMAL(38, 12)                                          AS advertised_output_per_mtok_usd,
       l.entries                                                           AS advertised_entries,
       l.unverified                                                        AS advertised_unverified,
       -- list prices in force at each call, at the measured token mix, without any cache discount
       money_div(t.list_cost_usd_mtok, t.uncached + t.cache_read + t.cache_write + t.output_tokens)
                                                                           AS advertised_blended_per_mtok_usd,
       money_div(t.spend_usd * 1000000, t.uncached + t.cache_read + t.cache_write + t.output_tokens)
                                                                           AS effective_per_mtok_usd,
       (money_div(t.spend_usd * 1000000, t.uncached + t.cache_read + t.cache_write + t.output_tokens)
        / nullif(money_div(t.list_cost_usd_mtok, t.uncached + t.cache_read + t.cache_write + t.output_tokens), 0))::DOUBLE
                                                                           AS effective_vs_advertised_ratio,
       (t.cache_read / nullif(t.uncached + t.cache_read + t.cache_write, 0))::DOUBLE AS cache_hit_rate
FROM totals t LEFT JOIN ci USING (provider, model) LEFT JOIN latest l USING (provider, model)
ORDER BY cost_per_solved_task_usd NULLS LAST, t.provider, t.model
