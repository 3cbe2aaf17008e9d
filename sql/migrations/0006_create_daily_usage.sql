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

-- Backfill the rollup for runs priced before this migration existed.
INSERT INTO daily_usage
SELECT c.run_id, c.provider, c.model, c.task_id, c.task_version, k.entry_id,
       count(*), count(g.call_id), count(*) FILTER (WHERE g.passed),
       coalesce(sum(k.total_usd), 0)::DECIMAL(38, 12),
       coalesce(sum(c.input_uncached_tokens), 0), coalesce(sum(c.cache_read_tokens), 0),
       coalesce(sum(c.cache_write_5m_tokens), 0), coalesce(sum(c.cache_write_1h_tokens), 0),
       coalesce(sum(c.output_tokens), 0), coalesce(sum(c.reasoning_tokens), 0),
       min(c.requested_at), max(c.requested_at)
FROM calls c LEFT JOIN costs k USING (call_id) LEFT JOIN grades g USING (call_id)
GROUP BY c.run_id, c.provider, c.model, c.task_id, c.task_version, k.entry_id;
