"""The SQL of main 9dfb0b5 for the queries that now read the night_usage / hourly_usage rollups or daily_usage's
task_category: cost_breakdown, cost_by_hour, run_history (raw tables); leaderboard, nightly_cost, cost_per_solved_task
(daily_usage); task_stats, category_leaderboard (daily_usage + calls for categories); report/examples (a window
over every graded call, now one aggregate). The independent reference
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
