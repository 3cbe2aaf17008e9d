-- 0009: imported bills (usage exports of gateways, providers and coding tools) and their re-pricing.
-- bill_imports: one row per imported file. bill_rows: one row per source row (a request, or an hour/day/month
-- bucket, or a totals-only figure), normalised to the same disjoint buckets as calls; append-only, keyed by a
-- deterministic row_id so importing the same file twice adds nothing. bill_costs: derived (re-priced at the dated
-- price book), one row per bill row, replaced whenever the price book changes.
CREATE TABLE bill_imports (
    import_id     VARCHAR PRIMARY KEY,      -- sha256 of format + file content (first 16 hex)
    source_format VARCHAR NOT NULL,         -- openrouter-csv | openrouter-generation | claude-code | ccusage | ...
    file_name     VARCHAR NOT NULL,         -- base name only (never a machine path)
    file_sha256   VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_added    BIGINT NOT NULL,
    rows_skipped  BIGINT NOT NULL,          -- bad rows skipped under --skip-bad
    source_columns JSON,                    -- the CSV header, when bill_rows.raw holds a row's values as an array
    imported_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE bill_rows (
    row_id                VARCHAR NOT NULL,     -- md5(format, natural key: generation id, message id + request id, bucket...);
                                                -- unique by construction (sql/bills/insert_rows.sql, audited by
                                                -- sql/bills/audit_duplicate_row_ids.sql): no PRIMARY KEY, whose index
                                                -- would cost more than the rest of a million-row import
    import_id             VARCHAR NOT NULL,
    source_format         VARCHAR NOT NULL,
    source_line           BIGINT NOT NULL,      -- line (CSV/JSONL) or record number (JSON, SQLite) in the file
    occurred_at           TIMESTAMPTZ NOT NULL, -- request time, or the start of the bucket
    period_end            TIMESTAMPTZ,          -- end of the bucket (NULL for requests)
    granularity           VARCHAR NOT NULL,     -- request | hour | day | week | month | total
    requests              BIGINT,               -- requests in the row (1 for a request; NULL when the source does not say)
    source_provider       VARCHAR,              -- the provider the source names (or implies)
    source_model          VARCHAR NOT NULL,     -- the model id as written in the export
    provider              VARCHAR,              -- mapped price-book provider (NULL: unmapped, listed by `bill show`)
    model                 VARCHAR,              -- mapped price-book model
    input_uncached_tokens BIGINT,               -- NULL on totals-only rows
    cache_read_tokens     BIGINT,
    cache_write_5m_tokens BIGINT,               -- 5-minute (or unreported-TTL) writes
    cache_write_1h_tokens BIGINT,
    output_tokens         BIGINT,               -- incl. reasoning
    reasoning_tokens      BIGINT,               -- subset of output, informational
    total_tokens          BIGINT,               -- the source's total (the only count on totals-only rows)
    reported_cost         DECIMAL(38, 12),      -- the source's own cost figure, in reported_currency
    reported_currency     VARCHAR,
    tier_hint             VARCHAR,              -- 'above' when the source says the row is over a long-context tier
    flags                 VARCHAR,              -- known causes of a difference, from the format ('; '-separated)
    raw                   JSON NOT NULL         -- the source row as received (message text dropped); never shown in
                                                -- reports. Bulk CSV formats: an array of values, names in
                                                -- bill_imports.source_columns
);

CREATE TABLE bill_costs (
    row_id             VARCHAR NOT NULL,        -- one row per bill row (replaced on re-pricing)
    pricebook_version  VARCHAR NOT NULL,
    entry_id           VARCHAR,                 -- NULL: no price (unmapped model or no entry at the date)
    currency           VARCHAR,
    tier               VARCHAR,
    time_window        VARCHAR,
    input_uncached_cost DECIMAL(38, 12),        -- native currency
    cache_read_cost     DECIMAL(38, 12),
    cache_write_5m_cost DECIMAL(38, 12),
    cache_write_1h_cost DECIMAL(38, 12),
    output_cost         DECIMAL(38, 12),
    request_fee         DECIMAL(38, 12),
    total               DECIMAL(38, 12),
    fx_rate_to_usd      DECIMAL(38, 12),
    repriced_usd        DECIMAL(38, 12),        -- NULL when it cannot be computed (see causes)
    reported_usd        DECIMAL(38, 12),        -- the source's figure converted to USD at the row's date
    causes              VARCHAR,                -- known causes of reported != repriced ('; '-separated)
    priced_at           TIMESTAMPTZ NOT NULL
);
