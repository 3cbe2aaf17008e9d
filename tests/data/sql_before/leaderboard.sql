-- The leaderboard: success rate, effective cost per solved task with a 95 % bootstrap interval, advertised
-- vs effective $/Mtok and cache hit rate. advertised_input/output = the list prices of the entries in force
-- during the data window (those that priced its calls; never a later entry), weighted by calls and listed in
-- advertised_entries; the blended advertised price uses the list prices in force at each call. Grain: one row per provider × model over runs that passed the gate.
-- Bootstrap: 200 deterministic replicates resampling clusters with replacement (stable_pick: an integer hash
-- seeded by md5('provider/model'), the same on every DuckDB version; see migration 0008): whole
-- nights once a model has 10 or more, (night, task) pairs before that; interval = 2.5 % / 97.5 % discrete
-- quantiles of the replicates' cost per solved task. No parameters. Reads the daily_usage rollup.
WITH ok AS (      -- the daily_usage rollup (one row per run × model × task version × price entry)
    SELECT d.*, r.simulated, r.pricebook_version,
           pe.input_uncached_per_mtok * pe.fx_rate_to_usd AS list_in_usd,   -- list prices of the entry that priced it
           pe.output_per_mtok * pe.fx_rate_to_usd AS list_out_usd
    FROM daily_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
    LEFT JOIN price_entries pe ON pe.entry_id = d.entry_id AND pe.pricebook_version = r.pricebook_version
),
nights AS (
    SELECT provider, model, count(DISTINCT run_id) AS runs FROM ok GROUP BY ALL
),
units AS (
    -- the resampled cluster: a whole night once there are 10 or more, else a (night, task) pair
    SELECT o.provider, o.model, CASE WHEN n.runs >= 10 THEN o.run_id ELSE o.run_id || '/' || o.task_id END AS unit,
           sum(o.spend_usd) AS spend_usd, sum(o.solved) AS solved
    FROM ok o JOIN nights n USING (provider, model) GROUP BY ALL
),
numbered AS (   -- integers only from here on: mkey per model, its seed, unit index and count
    SELECT *, (row_number() OVER (PARTITION BY provider, model ORDER BY unit) - 1)::UBIGINT AS idx,
           (count(*) OVER (PARTITION BY provider, model))::UBIGINT AS n,
           dense_rank() OVER (ORDER BY provider, model) AS mkey,
           ('0x' || left(md5(provider || '/' || model), 7))::BIGINT AS seed
    FROM units
),
draws AS (      -- replicate rep draws n units: draw i picks stable_pick(model's md5 seed, rep, i, n)
    SELECT u.mkey, r.rep, stable_pick(u.seed, r.rep, u.idx, u.n) AS idx
    FROM numbered u CROSS JOIN range(200) r(rep)
),
replicates AS (
    SELECT d.mkey, d.rep, money_div(sum(u.spend_usd), sum(u.solved)) AS cpst_usd
    FROM draws d JOIN numbered u ON u.mkey = d.mkey AND u.idx = d.idx
    GROUP BY ALL
),
ci AS (
    SELECT n.provider, n.model, quantile_disc(r.cpst_usd, 0.025) AS lo, quantile_disc(r.cpst_usd, 0.975) AS hi
    FROM replicates r JOIN (SELECT DISTINCT mkey, provider, model FROM numbered) n USING (mkey) GROUP BY ALL
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
       ci.lo::DECIMAL(38, 12)                                              AS cpst_ci_low_usd,
       ci.hi::DECIMAL(38, 12)                                              AS cpst_ci_high_usd,
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
