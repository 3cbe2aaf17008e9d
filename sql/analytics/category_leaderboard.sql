-- Per category (or per role): success rate with its 95 % Wilson interval and effective cost per solved task with a
-- 95 % bootstrap interval, over the runs that passed the gate in the last $window_days days (counted back from the
-- latest such run, so replayed nights work). Grain: one row per provider × model × category (or role).
-- $roles: '{}' = one row per catalog category; a JSON object {"role": ["category or task id", ...]} groups by role
-- (a task in two roles counts in both). Baselines (provider 'baseline') are rows like any model, at cost 0.
-- Bootstrap: 200 deterministic replicates (stable_pick, an integer hash seeded by md5('provider/model/group'), the
-- same on every DuckDB version) resampling whole nights once a group has 10 or more, else (night, task) pairs;
-- interval = 2.5 % / 97.5 % discrete quantiles of the replicates' cost per solved (bootstrap_ci, migration 0017),
-- kept by the key of its clusters (migration 0015: drawn only when not kept; cpst_ci_key).
WITH win_runs AS (
    SELECT run_id, simulated FROM runs
    WHERE status = 'ok'
      AND run_at > (SELECT max(run_at) FROM runs WHERE status = 'ok') - to_days(CAST($window_days AS INTEGER))
),
role_map AS (
    SELECT k AS grp, unnest(CAST(json_extract(CAST($roles AS JSON), '$."' || k || '"') AS VARCHAR[])) AS item
    FROM (SELECT unnest(json_keys(CAST($roles AS JSON))) AS k)
),
win AS NOT MATERIALIZED (   -- the daily_usage rollup of the window (with each task version's category); NOT
    -- MATERIALIZED: each reader scans the window's row groups again (zone maps skip the other nights), cheaper than
    -- copying its 1.4 M rows at 500 models
    SELECT d.run_id, d.provider, d.model, d.task_id, d.task_category, d.calls, d.attempts, d.solved, d.spend_usd,
           d.input_uncached_tokens + d.cache_read_tokens + d.cache_write_5m_tokens + d.cache_write_1h_tokens
               AS input_tokens,
           d.output_tokens, w.simulated
    FROM daily_usage d JOIN win_runs w USING (run_id)
),
ok AS NOT MATERIALIZED (    -- tagged with its group: the category, or each role naming its category or task id
    SELECT d.*, d.task_category AS grp FROM win d WHERE (SELECT count(*) FROM role_map) = 0
    UNION ALL
    SELECT d.*, m.grp FROM win d JOIN role_map m ON m.item IN (d.task_category, d.task_id)
),
per_night AS (    -- one row per group × night: the clusters of a group with 10 or more nights, and its totals
    SELECT provider, model, grp, run_id, bool_or(simulated) AS simulated, sum(calls) AS calls,
           sum(attempts) AS attempts, sum(solved) AS solved, sum(spend_usd) AS spend_usd,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
    FROM ok GROUP BY ALL
),
nights AS (SELECT provider, model, grp, count(*) AS runs FROM per_night GROUP BY ALL),
units AS (        -- the resampled cluster: a whole night once a group has 10 or more, else a (night, task) pair
    SELECT p.provider, p.model, p.grp, p.run_id AS unit, p.spend_usd, p.solved
    FROM per_night p JOIN nights n USING (provider, model, grp) WHERE n.runs >= 10
    UNION ALL
    SELECT o.provider, o.model, o.grp, o.run_id || '/' || o.task_id, sum(o.spend_usd), sum(o.solved)
    FROM ok o JOIN nights n USING (provider, model, grp) WHERE n.runs < 10 GROUP BY ALL
),
groups AS (      -- gkey: an integer per group (a model in a category); its seed text and seed, computed once
    SELECT provider, model, grp, row_number() OVER (ORDER BY provider, model, grp) AS gkey,
           provider || '/' || model || '/' || grp AS seed_text,
           ('0x' || left(md5(provider || '/' || model || '/' || grp), 7))::BIGINT AS seed
    FROM nights
),
clusters AS (    -- what bootstrap_ci (migration 0017) resamples: index, count, spend in integer picodollars
    SELECT g.gkey AS key, g.seed_text, g.seed, u.solved, (u.spend_usd * 1000000000000)::HUGEINT AS spend_pusd,
           row_number() OVER (PARTITION BY g.gkey ORDER BY u.unit) - 1 AS idx,
           count(*) OVER (PARTITION BY g.gkey) AS n
    FROM units u JOIN groups g USING (provider, model, grp)
),
ci AS (
    SELECT k.provider, k.model, k.grp, b.clusters_md5, b.low_usd AS lo, b.high_usd AS hi
    FROM bootstrap_ci(clusters) b JOIN groups k ON k.gkey = b.key
),
tasks AS (SELECT provider, model, grp, count(DISTINCT task_id) AS tasks FROM ok GROUP BY ALL),
totals AS (
    SELECT p.provider, p.model, p.grp, bool_or(p.simulated) AS simulated, count(*) AS nights,
           any_value(t.tasks) AS tasks, sum(p.attempts) AS attempts, sum(p.solved) AS solved,
           coalesce(sum(p.spend_usd), 0)::DECIMAL(38, 12) AS spend_usd,
           sum(p.input_tokens) AS input_tokens, sum(p.output_tokens) AS output_tokens, sum(p.calls) AS calls
    FROM per_night p JOIN tasks t USING (provider, model, grp) GROUP BY ALL
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
       ci.lo                                                                AS cpst_ci_low_usd,
       ci.hi                                                                AS cpst_ci_high_usd,
       ci.clusters_md5                                                      AS cpst_ci_key,   -- migration 0015
       (w.input_tokens / nullif(w.calls, 0))::DOUBLE                        AS avg_input_tokens,  -- per call
       w.input_tokens + w.output_tokens                                     AS total_tokens       -- input + output
FROM wilson w LEFT JOIN ci ON ci.provider = w.provider AND ci.model = w.model AND ci.grp = w.grp
ORDER BY category, cost_per_solved_task_usd NULLS LAST, success_rate DESC, w.provider, w.model
