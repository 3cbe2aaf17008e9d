-- 0013: the rollups' SELECTs defined once, as table macros over calls + costs + grades (used by this backfill, by
-- the per-run refresh in sql/staging/refresh_*.sql with `WHERE run_id = $run_id`, and by bench/), and two more
-- rollups so no analytics query scans the raw tables:
-- night_usage: one row per run × provider × model × price entry × billing currency (NULL: calls with no cost
--   row; an entry bills in one currency), with failed calls, native totals and USD per usage field (native cost × the call's FX rate, exact: DECIMAL(38, 24) holds the product).
--   Token sums are NULL when every call of the row has NULL usage, as sum() over the raw rows would be;
--   the ok_* sums count successful calls only, each input sum row by row (NULL if any field is NULL).
-- hourly_usage: one row per run × provider × model × UTC hour × time window, over priced calls only.
-- daily_usage gains task_category (the catalog gives each task version one category), so no query scans calls
--   for it; it is rebuilt from the raw tables below.
-- The join conditions carry run_id so a filter on the run reaches the costs and grades scans too.

ALTER TABLE daily_usage ADD COLUMN task_category VARCHAR;

CREATE MACRO daily_usage_rows() AS TABLE
SELECT c.run_id, c.provider, c.model, c.task_id, c.task_version, any_value(c.task_category) AS task_category, k.entry_id,
       count(*) AS calls, count(g.call_id) AS attempts, count(*) FILTER (WHERE g.passed) AS solved,
       coalesce(sum(k.total_usd), 0)::DECIMAL(38, 12) AS spend_usd,
       coalesce(sum(c.input_uncached_tokens), 0) AS input_uncached_tokens,
       coalesce(sum(c.cache_read_tokens), 0) AS cache_read_tokens,
       coalesce(sum(c.cache_write_5m_tokens), 0) AS cache_write_5m_tokens,
       coalesce(sum(c.cache_write_1h_tokens), 0) AS cache_write_1h_tokens,
       coalesce(sum(c.output_tokens), 0) AS output_tokens, coalesce(sum(c.reasoning_tokens), 0) AS reasoning_tokens,
       min(c.requested_at) AS first_requested_at, max(c.requested_at) AS last_requested_at
FROM calls c LEFT JOIN costs k ON k.call_id = c.call_id AND k.run_id = c.run_id
LEFT JOIN grades g ON g.call_id = c.call_id AND g.run_id = c.run_id
GROUP BY c.run_id, c.provider, c.model, c.task_id, c.task_version, k.entry_id;

CREATE TABLE night_usage (
    run_id                VARCHAR NOT NULL,
    provider              VARCHAR NOT NULL,
    model                 VARCHAR NOT NULL,
    entry_id              VARCHAR,             -- the price entry that priced these calls (NULL: no cost row)
    currency              VARCHAR,             -- their billing currency (costs.currency; NULL: no cost row)
    calls                 BIGINT NOT NULL,     -- every landed call, errors included
    failed_calls          BIGINT NOT NULL,     -- calls whose status is not ok
    attempts              BIGINT NOT NULL,     -- graded attempts
    solved                BIGINT NOT NULL,
    spend_usd             DECIMAL(38, 12) NOT NULL,
    total_native          DECIMAL(38, 12),     -- Σ costs.total in the billing currency (NULL: no cost row)
    input_uncached_tokens BIGINT,
    cache_read_tokens     BIGINT,
    cache_write_5m_tokens BIGINT,
    cache_write_1h_tokens BIGINT,
    output_tokens         BIGINT,
    reasoning_tokens      BIGINT,
    ok_calls              BIGINT NOT NULL,     -- calls whose status is ok
    ok_input_tokens       BIGINT,              -- Σ (uncached + cache read + cache writes) over ok calls
    ok_cache_read_tokens  BIGINT,
    ok_cache_write_tokens BIGINT,              -- Σ (cache write 5m + 1h) over ok calls
    ok_output_tokens      BIGINT,
    ok_reasoning_tokens   BIGINT,
    input_uncached_usd    DECIMAL(38, 24),     -- Σ native field cost × fx_rate_to_usd (NULL: no cost row)
    cache_read_usd        DECIMAL(38, 24),
    cache_write_5m_usd    DECIMAL(38, 24),
    cache_write_1h_usd    DECIMAL(38, 24),
    output_usd            DECIMAL(38, 24),
    request_fee_usd       DECIMAL(38, 24)
);

CREATE MACRO night_usage_rows() AS TABLE
SELECT c.run_id, c.provider, c.model, k.entry_id, k.currency,
       count(*) AS calls, count(*) FILTER (WHERE c.status <> 'ok') AS failed_calls,
       count(g.call_id) AS attempts, count(*) FILTER (WHERE g.passed) AS solved,
       coalesce(sum(k.total_usd), 0)::DECIMAL(38, 12) AS spend_usd, sum(k.total) AS total_native,
       sum(c.input_uncached_tokens) AS input_uncached_tokens, sum(c.cache_read_tokens) AS cache_read_tokens,
       sum(c.cache_write_5m_tokens) AS cache_write_5m_tokens, sum(c.cache_write_1h_tokens) AS cache_write_1h_tokens,
       sum(c.output_tokens) AS output_tokens, sum(c.reasoning_tokens) AS reasoning_tokens,
       count(*) FILTER (WHERE c.status = 'ok') AS ok_calls,
       sum(c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens)
           FILTER (WHERE c.status = 'ok') AS ok_input_tokens,
       sum(c.cache_read_tokens) FILTER (WHERE c.status = 'ok') AS ok_cache_read_tokens,
       sum(c.cache_write_5m_tokens + c.cache_write_1h_tokens) FILTER (WHERE c.status = 'ok') AS ok_cache_write_tokens,
       sum(c.output_tokens) FILTER (WHERE c.status = 'ok') AS ok_output_tokens,
       sum(c.reasoning_tokens) FILTER (WHERE c.status = 'ok') AS ok_reasoning_tokens,
       sum(k.input_uncached_cost * k.fx_rate_to_usd) AS input_uncached_usd,
       sum(k.cache_read_cost * k.fx_rate_to_usd) AS cache_read_usd,
       sum(k.cache_write_5m_cost * k.fx_rate_to_usd) AS cache_write_5m_usd,
       sum(k.cache_write_1h_cost * k.fx_rate_to_usd) AS cache_write_1h_usd,
       sum(k.output_cost * k.fx_rate_to_usd) AS output_usd,
       sum(k.request_fee * k.fx_rate_to_usd) AS request_fee_usd
FROM calls c LEFT JOIN costs k ON k.call_id = c.call_id AND k.run_id = c.run_id
LEFT JOIN grades g ON g.call_id = c.call_id AND g.run_id = c.run_id
GROUP BY c.run_id, c.provider, c.model, k.entry_id, k.currency;

CREATE TABLE hourly_usage (
    run_id      VARCHAR NOT NULL,
    provider    VARCHAR NOT NULL,
    model       VARCHAR NOT NULL,
    hour_utc    BIGINT NOT NULL,               -- UTC hour of the request, 0..23
    time_window VARCHAR,                       -- the price window that priced the calls (NULL: standard)
    calls       BIGINT NOT NULL,               -- priced calls
    spend_usd   DECIMAL(38, 12) NOT NULL
);

CREATE MACRO hourly_usage_rows() AS TABLE
SELECT c.run_id, c.provider, c.model, hour(c.requested_at AT TIME ZONE 'UTC') AS hour_utc, k.time_window,
       count(*) AS calls, sum(k.total_usd)::DECIMAL(38, 12) AS spend_usd
FROM calls c JOIN costs k ON k.call_id = c.call_id AND k.run_id = c.run_id
GROUP BY ALL;

-- Backfill: every run already in the store.
DELETE FROM daily_usage;
INSERT INTO daily_usage BY NAME SELECT * FROM daily_usage_rows();
INSERT INTO night_usage BY NAME SELECT * FROM night_usage_rows();
INSERT INTO hourly_usage BY NAME SELECT * FROM hourly_usage_rows();
