"""The SQL of main 9dfb0b5 for the queries that now read the night_usage / hourly_usage rollups or daily_usage's
task_category: cost_breakdown, cost_by_hour, run_history, cache_hit_rate, output_input_ratio, reasoning_share
(raw tables); leaderboard, nightly_cost, cost_per_solved_task
(daily_usage); task_stats, category_leaderboard (daily_usage + calls for categories); report/examples (a window
over every graded call, now one aggregate); price_changes (calls + costs for each side's native spend). The independent reference
the new queries must match row for row (tests/test_rollups.py), and the "before" path bench/analytics_scale.py times."""

from __future__ import annotations

COST_BREAKDOWN = """
-- Where the money goes: tokens and USD per usage field (native cost × the call's FX rate).
-- Grain: one row per provider × model × usage field, over runs that passed the gate. No parameters.
WITH per_rate AS (   -- summed per FX rate first, so the six fields are unpivoted over a few rows, not every call
    SELECT c.provider, c.model, k.fx_rate_to_usd AS fx,
           sum(c.input_uncached_tokens) AS t_in, sum(c.cache_read_tokens) AS t_rd, sum(c.cache_write_5m_tokens) AS t_w5,
           sum(c.cache_write_1h_tokens) AS t_w1, sum(c.output_tokens) AS t_out,
           sum(k.input_uncached_cost) AS c_in, sum(k.cache_read_cost) AS c_rd, sum(k.cache_write_5m_cost) AS c_w5,
           sum(k.cache_write_1h_cost) AS c_w1, sum(k.output_cost) AS c_out, sum(k.request_fee) AS c_fee
    FROM calls c JOIN costs k USING (call_id) JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
    GROUP BY ALL
),
fields AS (   -- native cost × FX rate is exact in DECIMAL, so summing before multiplying changes nothing
    SELECT provider, model, 'input_uncached' AS field, t_in AS tokens, c_in * fx AS usd FROM per_rate
    UNION ALL SELECT provider, model, 'cache_read', t_rd, c_rd * fx FROM per_rate
    UNION ALL SELECT provider, model, 'cache_write_5m', t_w5, c_w5 * fx FROM per_rate
    UNION ALL SELECT provider, model, 'cache_write_1h', t_w1, c_w1 * fx FROM per_rate
    UNION ALL SELECT provider, model, 'output', t_out, c_out * fx FROM per_rate
    UNION ALL SELECT provider, model, 'request_fee', 0, c_fee * fx FROM per_rate
),
per_field AS (
    SELECT provider, model, field, sum(tokens) AS tokens, sum(usd)::DECIMAL(38, 12) AS cost_usd
    FROM fields GROUP BY provider, model, field
)
SELECT provider,
       model,
       field,
       tokens,
       cost_usd,
       (cost_usd / nullif(sum(cost_usd) OVER (PARTITION BY provider, model), 0))::DOUBLE AS cost_share  -- 0..1
FROM per_field
ORDER BY provider, model, field
"""

COST_BY_HOUR = """
-- Spend and cost per call by UTC hour of the request (time-of-day prices, e.g. DeepSeek's off-peak window).
-- Grain: one row per provider × model × UTC hour over runs that passed the gate. No parameters.
SELECT c.provider,
       c.model,
       hour(c.requested_at AT TIME ZONE 'UTC')               AS hour_utc,
       count(*)                                              AS calls,
       sum(k.total_usd)::DECIMAL(38, 12)                     AS spend_usd,
       money_div(sum(k.total_usd), count(*))                 AS cost_per_call_usd,
       list(DISTINCT k.time_window) FILTER (WHERE k.time_window IS NOT NULL) AS time_windows
FROM calls c JOIN costs k USING (call_id) JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
GROUP BY ALL
ORDER BY c.provider, c.model, hour_utc
"""

RUN_HISTORY = """
-- Every run, whatever its status (quarantined runs included, with the reason).
-- Grain: one row per run. No parameters.
SELECT r.run_id,
       r.run_at,
       r.status,
       r.status_reason,
       count(c.call_id)                                      AS calls,
       count(c.call_id) FILTER (WHERE c.status <> 'ok')      AS failed_calls,
       coalesce(sum(k.total_usd), 0)::DECIMAL(38, 12)        AS spend_usd,
       r.simulated,
       r.catalog_version,
       r.pricebook_version
FROM runs r LEFT JOIN calls c USING (run_id) LEFT JOIN costs k USING (call_id)
GROUP BY ALL
ORDER BY r.run_at, r.run_id
"""

LEADERBOARD = """
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
"""

NIGHTLY_COST = """
-- Cost per solved task night by night (the time series behind the price-change charts).
-- Grain: one row per run date × provider × model, over runs that passed the gate. No parameters.
-- Reads the daily_usage rollup (refreshed when a run is priced), so a year of history stays fast.
SELECT r.run_at::DATE                                                   AS night,
       d.provider,
       d.model,
       coalesce(sum(d.spend_usd), 0)::DECIMAL(38, 12)                   AS spend_usd,
       sum(d.solved)                                                    AS solved,
       money_div(coalesce(sum(d.spend_usd), 0), sum(d.solved))          AS cost_per_solved_task_usd,
       (sum(d.solved) / nullif(sum(d.attempts), 0))::DOUBLE             AS success_rate
FROM daily_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
GROUP BY ALL
ORDER BY night, d.provider, d.model
"""

COST_PER_SOLVED_TASK = """
-- Effective cost per solved task: all spend on a model (failed attempts and retries included) / solved cases.
-- Grain: one row per provider × model, over runs that passed the quality gate. No parameters.
-- Reads the daily_usage rollup (refreshed when a run is priced), so a year of history stays fast.
SELECT d.provider,
       d.model,
       bool_or(r.simulated)                                 AS simulated,
       sum(d.attempts)                                      AS attempts,      -- graded attempts at a case
       sum(d.solved)                                        AS solved,        -- attempts that passed the grader
       (sum(d.solved) / nullif(sum(d.attempts), 0))::DOUBLE AS success_rate,  -- 0..1
       sum(d.spend_usd)::DECIMAL(38, 12)                    AS spend_usd,
       money_div(sum(d.spend_usd), sum(d.solved))           AS cost_per_solved_task_usd
FROM daily_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
GROUP BY d.provider, d.model
ORDER BY cost_per_solved_task_usd NULLS LAST, d.provider, d.model
"""

TASK_STATS = """
-- Per task version: attempts, success rate, spend and cost per solved case, average tokens per call.
-- Grain: one row per provider × model × task version, over runs that passed the gate. No parameters.
-- Reads the daily_usage rollup; only the task category comes from the calls (one small distinct scan).
WITH categories AS (
    SELECT task_id, task_version, any_value(task_category) AS category
    FROM (SELECT DISTINCT task_id, task_version, task_category FROM calls) GROUP BY ALL
)
SELECT d.provider,
       d.model,
       d.task_id,
       d.task_version,
       any_value(k.category)                                            AS category,
       sum(d.attempts)                                                  AS attempts,
       sum(d.solved)                                                    AS solved,
       (sum(d.solved) / nullif(sum(d.attempts), 0))::DOUBLE             AS success_rate,
       coalesce(sum(d.spend_usd), 0)::DECIMAL(38, 12)                   AS spend_usd,
       money_div(coalesce(sum(d.spend_usd), 0), sum(d.solved))          AS cost_per_solved_task_usd,
       (sum(d.input_uncached_tokens + d.cache_read_tokens + d.cache_write_5m_tokens + d.cache_write_1h_tokens)
        / sum(d.calls))::DOUBLE                                         AS avg_input_tokens,     -- per call
       (sum(d.output_tokens) / sum(d.calls))::DOUBLE                    AS avg_output_tokens
FROM daily_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
LEFT JOIN categories k ON k.task_id = d.task_id AND k.task_version = d.task_version
GROUP BY d.provider, d.model, d.task_id, d.task_version
ORDER BY d.task_id, d.task_version, d.provider, d.model
"""

CATEGORY_LEADERBOARD = """
-- Per category (or per role): success rate with its 95 % Wilson interval and effective cost per solved task with a
-- 95 % bootstrap interval, over the runs that passed the gate in the last $window_days days (counted back from the
-- latest such run, so replayed nights work). Grain: one row per provider × model × category (or role).
-- $roles: '{}' = one row per catalog category; a JSON object {"role": ["category or task id", ...]} groups by role
-- (a task in two roles counts in both). Baselines (provider 'baseline') are rows like any model, at cost 0.
-- Bootstrap: 200 deterministic replicates (hash-based picks) resampling whole nights once a group has 10 or
-- more, else (night, task) pairs; interval = 2.5 % / 97.5 % discrete quantiles of the replicates' cost per solved.
WITH win_runs AS (
    SELECT run_id, simulated FROM runs
    WHERE status = 'ok'
      AND run_at > (SELECT max(run_at) FROM runs WHERE status = 'ok') - to_days(CAST($window_days AS INTEGER))
),
task_cats AS (   -- the category of each task version run in the window
    SELECT DISTINCT c.run_id, c.task_id, c.task_version, c.task_category
    FROM calls c JOIN win_runs w USING (run_id)
),
role_map AS (
    SELECT k AS grp, unnest(CAST(json_extract(CAST($roles AS JSON), '$."' || k || '"') AS VARCHAR[])) AS item
    FROM (SELECT unnest(json_keys(CAST($roles AS JSON))) AS k)
),
grouped AS (
    SELECT t.*, t.task_category AS grp FROM task_cats t WHERE (SELECT count(*) FROM role_map) = 0
    UNION ALL
    SELECT t.*, m.grp FROM task_cats t JOIN role_map m ON m.item IN (t.task_category, t.task_id)
),
ok AS (           -- the daily_usage rollup of the window, tagged with its group
    SELECT d.*, g.grp, w.simulated
    FROM daily_usage d JOIN win_runs w USING (run_id)
    JOIN grouped g ON g.run_id = d.run_id AND g.task_id = d.task_id AND g.task_version = d.task_version
),
nights AS (SELECT provider, model, grp, count(DISTINCT run_id) AS runs FROM ok GROUP BY ALL),
units AS (
    SELECT o.provider, o.model, o.grp, CASE WHEN n.runs >= 10 THEN o.run_id ELSE o.run_id || '/' || o.task_id END AS unit,
           sum(o.spend_usd) AS spend_usd, sum(o.solved) AS solved
    FROM ok o JOIN nights n USING (provider, model, grp) GROUP BY ALL
),
numbered AS (
    SELECT *, row_number() OVER (PARTITION BY provider, model, grp ORDER BY unit) - 1 AS idx,
           count(*) OVER (PARTITION BY provider, model, grp) AS n
    FROM units
),
sizes AS (SELECT DISTINCT provider, model, grp, n FROM numbered),
draws AS (
    SELECT s.provider, s.model, s.grp, r.rep, hash(r.rep, i.i, s.provider, s.model, s.grp) % s.n AS idx
    FROM sizes s CROSS JOIN range(200) r(rep) CROSS JOIN LATERAL (SELECT unnest(range(s.n)) AS i) i
),
replicates AS (
    SELECT d.provider, d.model, d.grp, d.rep, money_div(sum(u.spend_usd), sum(u.solved)) AS cpst_usd
    FROM draws d JOIN numbered u ON u.provider = d.provider AND u.model = d.model AND u.grp = d.grp AND u.idx = d.idx
    GROUP BY ALL
),
ci AS (
    SELECT provider, model, grp, quantile_disc(cpst_usd, 0.025) AS lo, quantile_disc(cpst_usd, 0.975) AS hi
    FROM replicates GROUP BY ALL
),
totals AS (
    SELECT provider, model, grp, bool_or(simulated) AS simulated, count(DISTINCT run_id) AS nights,
           count(DISTINCT task_id) AS tasks, sum(attempts) AS attempts, sum(solved) AS solved,
           coalesce(sum(spend_usd), 0)::DECIMAL(38, 12) AS spend_usd,
           sum(input_uncached_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens) AS input_tokens,
           sum(output_tokens) AS output_tokens, sum(calls) AS calls
    FROM ok GROUP BY ALL
),
wilson AS (       -- 95 % Wilson score interval, z = 1.96
    SELECT *, solved / nullif(attempts, 0) AS p, 1.96 AS z FROM totals
)
SELECT w.grp                                                                AS category,   -- or the role
       w.provider,
       w.model,
       w.simulated,
       w.nights,
       w.tasks,
       w.attempts,                                                                         -- graded attempts
       w.solved,
       w.p                                                                  AS success_rate,
       greatest(0, (w.p + w.z * w.z / (2 * w.attempts)) / (1 + w.z * w.z / w.attempts)
        - w.z / (1 + w.z * w.z / w.attempts)
          * sqrt(w.p * (1 - w.p) / w.attempts + w.z * w.z / (4 * w.attempts * w.attempts)))  AS success_low,
       least(1, (w.p + w.z * w.z / (2 * w.attempts)) / (1 + w.z * w.z / w.attempts)
        + w.z / (1 + w.z * w.z / w.attempts)
          * sqrt(w.p * (1 - w.p) / w.attempts + w.z * w.z / (4 * w.attempts * w.attempts)))  AS success_high,
       w.spend_usd,
       money_div(w.spend_usd, w.solved)                                     AS cost_per_solved_task_usd,
       ci.lo::DECIMAL(38, 12)                                               AS cpst_ci_low_usd,
       ci.hi::DECIMAL(38, 12)                                               AS cpst_ci_high_usd,
       (w.input_tokens / nullif(w.calls, 0))::DOUBLE                        AS avg_input_tokens,  -- per call
       w.input_tokens + w.output_tokens                                     AS total_tokens       -- input + output
FROM wilson w LEFT JOIN ci ON ci.provider = w.provider AND ci.model = w.model AND ci.grp = w.grp
ORDER BY category, cost_per_solved_task_usd NULLS LAST, success_rate DESC, w.provider, w.model
"""

EXAMPLES = """
-- Example outputs for the report: per provider × model × task, the latest passed and the latest failed final answer.
-- Grain: at most two rows per provider × model × task. No parameters. Output text is escaped by the templates.
WITH graded AS (
    SELECT c.provider, c.model, c.task_id, c.task_version, c.case_id, c.output_text, c.error, g.passed, g.reason,
           row_number() OVER (PARTITION BY c.provider, c.model, c.task_id, g.passed ORDER BY c.requested_at DESC, c.call_id) AS n
    FROM grades g JOIN calls c USING (call_id) JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
)
SELECT provider, model, task_id, task_version, case_id, passed, reason, coalesce(output_text, error) AS output_text
FROM graded WHERE n = 1
ORDER BY provider, model, task_id, passed DESC
"""

PRICE_CHANGES = """
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
-- (reconciled, not flagged), minus the announcement; "not measurable" when no provider figure exists.
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
    SELECT w.entry_id, w.after, sum(k.total_usd)::DECIMAL(38, 12) AS spend_usd,
           sum(k.total * CASE WHEN k.currency = ch.currency THEN ch.rate_d
                              ELSE (ch.rate_d * ch.conv)::DECIMAL(38, 12) END)::DECIMAL(38, 12) AS spend_at_fx_of_d
    FROM (SELECT DISTINCT entry_id, after, run_id, provider, model FROM windowed) w
    JOIN changes ch ON ch.entry_id = w.entry_id
    JOIN calls c ON c.run_id = w.run_id AND c.provider = w.provider AND c.model = w.model
    JOIN costs k ON k.call_id = c.call_id
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
"""

CACHE_HIT_RATE = """
-- Share of input tokens served from the prompt cache, and of input written to it.
-- Grain: one row per provider × model over runs that passed the gate. No parameters.
SELECT c.provider,
       c.model,
       sum(c.cache_read_tokens)                                                       AS cache_read_tokens,
       sum(c.cache_write_5m_tokens + c.cache_write_1h_tokens)                         AS cache_write_tokens,
       sum(c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens) AS input_tokens,
       (sum(c.cache_read_tokens) / nullif(sum(c.input_uncached_tokens + c.cache_read_tokens
            + c.cache_write_5m_tokens + c.cache_write_1h_tokens), 0))::DOUBLE       AS cache_hit_rate,
       (sum(c.cache_write_5m_tokens + c.cache_write_1h_tokens) / nullif(sum(c.input_uncached_tokens
            + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens), 0))::DOUBLE AS cache_write_rate
FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
WHERE c.status = 'ok'
GROUP BY ALL
ORDER BY c.provider, c.model
"""

OUTPUT_INPUT_RATIO = """
-- Output tokens per input token: output-heavy work gains little from an input price cut.
-- Grain: one row per provider × model over runs that passed the gate. No parameters.
SELECT c.provider,
       c.model,
       sum(c.output_tokens)                                                          AS output_tokens,
       sum(c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens) AS input_tokens,
       (sum(c.output_tokens) / nullif(sum(c.input_uncached_tokens + c.cache_read_tokens
            + c.cache_write_5m_tokens + c.cache_write_1h_tokens), 0))::DOUBLE      AS output_input_ratio
FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
WHERE c.status = 'ok'
GROUP BY ALL
ORDER BY c.provider, c.model
"""

REASONING_SHARE = """
-- Share of billed output that was hidden reasoning.
-- Grain: one row per provider × model over runs that passed the gate. No parameters.
SELECT c.provider,
       c.model,
       sum(c.reasoning_tokens)                                                    AS reasoning_tokens,
       sum(c.output_tokens)                                                       AS output_tokens,
       (sum(c.reasoning_tokens) / nullif(sum(c.output_tokens), 0))::DOUBLE        AS reasoning_share
FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
WHERE c.status = 'ok'
GROUP BY ALL
ORDER BY c.provider, c.model
"""
