-- 0001: runs, calls (raw, append-only) and grades. Every row carries run_id.
CREATE TABLE runs (
    run_id            VARCHAR PRIMARY KEY,
    run_at            TIMESTAMPTZ NOT NULL,   -- the time the run represents (emulated nights replay the past)
    started_at        TIMESTAMPTZ NOT NULL,   -- wall clock
    finished_at       TIMESTAMPTZ,
    status            VARCHAR NOT NULL,       -- running | landed | ok | failed_quality | failed
    status_reason     VARCHAR,
    config_hash       VARCHAR NOT NULL,
    catalog_version   VARCHAR NOT NULL,
    pricebook_version VARCHAR,
    simulated         BOOLEAN NOT NULL,       -- true when any provider was the emulator
    budget_usd        DECIMAL(38, 12)
);

CREATE TABLE calls (
    call_id                    VARCHAR PRIMARY KEY,  -- sha256(run, model, task@version, case, repeat, turn)
    run_id                     VARCHAR NOT NULL,
    shard                      VARCHAR NOT NULL,
    provider                   VARCHAR NOT NULL,
    model                      VARCHAR NOT NULL,
    dialect                    VARCHAR NOT NULL,
    task_id                    VARCHAR NOT NULL,
    task_version               INTEGER NOT NULL,
    task_category              VARCHAR NOT NULL,
    case_id                    VARCHAR NOT NULL,
    repeat_index               INTEGER NOT NULL,
    turn_index                 INTEGER NOT NULL,
    is_final_turn              BOOLEAN NOT NULL,
    requested_at               TIMESTAMPTZ NOT NULL,
    latency_ms                 INTEGER,
    attempts                   INTEGER NOT NULL,
    status                     VARCHAR NOT NULL,     -- ok | error
    http_status                INTEGER,
    error                      VARCHAR,
    output_text                VARCHAR,
    input_uncached_tokens      BIGINT,
    cache_read_tokens          BIGINT,
    cache_write_5m_tokens      BIGINT,
    cache_write_1h_tokens      BIGINT,
    output_tokens              BIGINT,
    reasoning_tokens           BIGINT,
    provider_reported_cost_usd DECIMAL(38, 12),
    raw_usage                  JSON,
    raw_response               JSON,
    request_json               JSON,
    simulated                  BOOLEAN NOT NULL,
    landed_at                  TIMESTAMPTZ NOT NULL
);

CREATE TABLE grades (
    call_id VARCHAR PRIMARY KEY,   -- the final turn's call of one attempt at a case
    run_id  VARCHAR NOT NULL,
    grader  VARCHAR NOT NULL,
    score   DOUBLE NOT NULL,
    passed  BOOLEAN NOT NULL,
    reason  VARCHAR NOT NULL
);
