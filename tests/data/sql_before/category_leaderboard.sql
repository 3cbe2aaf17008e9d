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
