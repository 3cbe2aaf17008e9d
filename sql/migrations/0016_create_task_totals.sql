-- 0016: task_totals, the per task version sums task_stats reads instead of scanning daily_usage (issue #20).
-- One row per provider × model × task_id × task_version, summed over the daily_usage rows of the runs listed in
-- task_totals_runs (the runs whose status is 'ok'). It is kept exact, one run at a time, by adding and subtracting
-- that run's rows (costbench/store/totals.py, sql/staging/*_task_totals.sql) where a run's rollup is rebuilt and
-- where its status is set. A row whose calls fall back to 0 is deleted, so no model appears without a folded call.
-- Two table macros, defined once: task_run_totals() is one run's share of each row (fold, unfold), and
-- task_totals_rows() is what the table holds (this backfill and bench/analytics_scale.py).
CREATE TABLE task_totals (
    provider      VARCHAR NOT NULL,
    model         VARCHAR NOT NULL,
    task_id       VARCHAR NOT NULL,
    task_version  INTEGER NOT NULL,
    category      VARCHAR,              -- the task version's category (daily_usage.task_category; one per version)
    calls         BIGINT NOT NULL,      -- Σ daily_usage.calls (every row has at least one: 0 means no row)
    attempts      BIGINT NOT NULL,      -- graded attempts
    solved        BIGINT NOT NULL,
    spend_usd     DECIMAL(38, 12) NOT NULL,
    input_tokens  BIGINT NOT NULL,      -- Σ (uncached + cache read + cache write 5m + cache write 1h)
    output_tokens BIGINT NOT NULL,
    PRIMARY KEY (provider, model, task_id, task_version)
);

CREATE TABLE task_totals_runs (
    run_id VARCHAR PRIMARY KEY          -- a run whose daily_usage rows are summed into task_totals
);

CREATE MACRO task_run_totals() AS TABLE
SELECT run_id, provider, model, task_id, task_version, any_value(task_category) AS category,
       sum(calls)::BIGINT AS calls, sum(attempts)::BIGINT AS attempts, sum(solved)::BIGINT AS solved,
       sum(spend_usd)::DECIMAL(38, 12) AS spend_usd,
       sum(input_uncached_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens)::BIGINT
           AS input_tokens,
       sum(output_tokens)::BIGINT AS output_tokens
FROM daily_usage
GROUP BY run_id, provider, model, task_id, task_version;

CREATE MACRO task_totals_rows() AS TABLE
SELECT d.provider, d.model, d.task_id, d.task_version, any_value(d.task_category) AS category,
       sum(d.calls)::BIGINT AS calls, sum(d.attempts)::BIGINT AS attempts, sum(d.solved)::BIGINT AS solved,
       sum(d.spend_usd)::DECIMAL(38, 12) AS spend_usd,
       sum(d.input_uncached_tokens + d.cache_read_tokens + d.cache_write_5m_tokens + d.cache_write_1h_tokens)::BIGINT
           AS input_tokens,
       sum(d.output_tokens)::BIGINT AS output_tokens
FROM daily_usage d SEMI JOIN task_totals_runs f ON f.run_id = d.run_id
GROUP BY d.provider, d.model, d.task_id, d.task_version;

-- Backfill: every run that passed the gate before this migration.
INSERT INTO task_totals_runs SELECT run_id FROM runs WHERE status = 'ok';
INSERT INTO task_totals BY NAME SELECT * FROM task_totals_rows();
