-- 0004: the price book as loaded into the store, so analytics can trace every figure to an entry.
-- Synced from costbench/prices/*.yml whenever a run is priced; one row per (price-book version, entry).
-- Prices are the entry's base (standard-window, lowest-tier) list prices, per million tokens.
CREATE TABLE price_entries (
    pricebook_version        VARCHAR NOT NULL,
    entry_id                 VARCHAR NOT NULL,       -- e.g. deepseek/deepseek-chat@2025-09-29
    provider                 VARCHAR NOT NULL,
    model                    VARCHAR NOT NULL,
    previous_entry_id        VARCHAR,                -- the entry this one replaced (a price change), if any
    effective_from           TIMESTAMPTZ NOT NULL,
    announced_on             DATE,
    currency                 VARCHAR NOT NULL,
    fx_rate_to_usd           DECIMAL(38, 12) NOT NULL,  -- at effective_from
    input_uncached_per_mtok  DECIMAL(38, 12) NOT NULL,  -- native currency
    cache_read_per_mtok      DECIMAL(38, 12) NOT NULL,
    cache_write_5m_per_mtok  DECIMAL(38, 12) NOT NULL,
    cache_write_1h_per_mtok  DECIMAL(38, 12) NOT NULL,
    output_per_mtok          DECIMAL(38, 12) NOT NULL,
    request_fee              DECIMAL(38, 12) NOT NULL,
    has_tiers                BOOLEAN NOT NULL,
    has_time_windows         BOOLEAN NOT NULL,
    source                   VARCHAR,
    PRIMARY KEY (pricebook_version, entry_id)
);
