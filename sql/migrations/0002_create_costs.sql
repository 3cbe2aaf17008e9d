-- 0002: costs, derived from calls and the price book; recomputed by `costbench reprice` (one row per call).
CREATE TABLE costs (
    call_id                   VARCHAR PRIMARY KEY,
    run_id                    VARCHAR NOT NULL,
    entry_id                  VARCHAR NOT NULL,     -- price-book entry used, e.g. deepseek/deepseek-chat@2025-09-29
    pricebook_version         VARCHAR NOT NULL,
    currency                  VARCHAR NOT NULL,     -- the provider's billing currency
    input_uncached_cost       DECIMAL(38, 12) NOT NULL,  -- native currency
    cache_read_cost           DECIMAL(38, 12) NOT NULL,
    cache_write_5m_cost       DECIMAL(38, 12) NOT NULL,
    cache_write_1h_cost       DECIMAL(38, 12) NOT NULL,
    output_cost               DECIMAL(38, 12) NOT NULL,
    request_fee               DECIMAL(38, 12) NOT NULL,
    total                     DECIMAL(38, 12) NOT NULL,  -- native currency
    fx_rate_to_usd            DECIMAL(38, 12) NOT NULL,
    total_usd                 DECIMAL(38, 12) NOT NULL,
    tier                      VARCHAR,
    time_window               VARCHAR,
    reconciliation_delta_usd  DECIMAL(38, 12),      -- provider_reported - computed, when the provider reports a cost
    reconciliation_flag       BOOLEAN NOT NULL,
    priced_at                 TIMESTAMPTZ NOT NULL
);
