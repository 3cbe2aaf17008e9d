-- 0006: a rollup of calls + costs + grades per run × model × task version × price entry, refreshed whenever a
-- run is priced. Analytics that scan a year of history read it instead of ten million call rows.
CREATE TABLE daily_usage (
    run_id              VARCHAR NOT NULL,
    provider            VARCHAR NOT NULL,
    model               VARCHAR NOT NULL,
    task_id             VARCHAR NOT NULL,
    task_version        INTEGER NOT NULL,
    entry_id            VARCHAR,             -- the price entry that priced these calls (NULL: unpriced errors)
    calls               BIGINT NOT NULL,
    attempts            BIGINT NOT NULL,     -- graded attempts
    solved              BIGINT NOT NULL,
    spend_usd           DECIMAL(38, 12) NOT NULL,
    input_uncached_tokens BIGINT NOT NULL,
    cache_read_tokens     BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens         BIGINT NOT NULL,
    reasoning_tokens      BIGINT NOT NULL,
    first_requested_at  TIMESTAMPTZ NOT NULL,
    last_requested_at   TIMESTAMPTZ NOT NULL
);
