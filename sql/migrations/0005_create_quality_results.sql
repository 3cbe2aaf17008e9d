-- 0005: the result of every data-quality check of every gated run (kept when a run is re-checked: latest wins).
CREATE TABLE quality_results (
    run_id        VARCHAR NOT NULL,
    check_name    VARCHAR NOT NULL,   -- e.g. calls: ExpectColumnValuesToBeUnique call_id, or audit ok_calls_without_cost
    kind          VARCHAR NOT NULL,   -- gx | audit
    passed        BOOLEAN NOT NULL,
    failing_rows  BIGINT,             -- rows that broke the check (audits: rows returned)
    detail        VARCHAR,
    checked_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, check_name)
);
