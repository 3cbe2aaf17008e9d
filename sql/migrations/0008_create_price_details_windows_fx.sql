-- 0008: what the price book says beyond base prices, per price-book version, synced with price_entries:
-- each entry's confidence and evidence, which cache fields it prices explicitly (NULL change % otherwise),
-- its time-of-day windows (price events of their own), and the FX rates a version converts with.
CREATE TABLE price_entry_details (
    pricebook_version        VARCHAR NOT NULL,
    entry_id                 VARCHAR NOT NULL,
    confidence               VARCHAR NOT NULL,       -- confirmed | unverified
    evidence                 VARCHAR NOT NULL,
    undated                  BOOLEAN NOT NULL,       -- effective_from is a placeholder (no date upstream)
    cache_read_priced        BOOLEAN NOT NULL,       -- the entry states this price (else it defaults to input)
    cache_write_5m_priced    BOOLEAN NOT NULL,
    cache_write_1h_priced    BOOLEAN NOT NULL,
    previous_to_own_currency DECIMAL(38, 12),        -- previous entry's currency → this entry's, at effective_from
    PRIMARY KEY (pricebook_version, entry_id)
);

CREATE TABLE price_windows (
    pricebook_version        VARCHAR NOT NULL,
    entry_id                 VARCHAR NOT NULL,
    window_name              VARCHAR NOT NULL,
    start_utc                TIME NOT NULL,
    end_utc                  TIME NOT NULL,          -- may be earlier than start_utc: the window wraps midnight
    input_uncached_per_mtok  DECIMAL(38, 12) NOT NULL,  -- native currency, defaults filled as for entries
    cache_read_per_mtok      DECIMAL(38, 12) NOT NULL,
    cache_write_5m_per_mtok  DECIMAL(38, 12) NOT NULL,
    cache_write_1h_per_mtok  DECIMAL(38, 12) NOT NULL,
    output_per_mtok          DECIMAL(38, 12) NOT NULL,
    PRIMARY KEY (pricebook_version, entry_id, window_name)
);

CREATE TABLE fx_rates (
    pricebook_version        VARCHAR NOT NULL,
    currency                 VARCHAR NOT NULL,
    since                    DATE NOT NULL,          -- first day the rate is known (no look-ahead)
    usd                      DECIMAL(38, 12) NOT NULL,
    basis                    VARCHAR,                -- e.g. "2025-07 average"
    source                   VARCHAR NOT NULL,
    PRIMARY KEY (pricebook_version, currency, since)
);

-- stable_pick(seed, rep, i, n): the bootstrap's i-th pick of replicate rep among n clusters, a pure integer
-- function (three multiply-mod-(2^31-1) rounds with xor-shifts), so it is the same on every DuckDB version,
-- unlike hash(). seed: the first 7 hex digits of md5('provider/model') as an integer.
CREATE MACRO lcg_mix(z, a, s) AS xor((z * a) % 2147483647, ((z * a) % 2147483647) >> s);
CREATE MACRO stable_pick(seed, rep, i, n) AS
    ((lcg_mix(lcg_mix(xor(seed, rep * 65537 + i) % 2147483647, 48271, 13), 69621, 17) * 48271) % 2147483647) % n;
