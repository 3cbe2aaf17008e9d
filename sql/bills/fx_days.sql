-- The FX table (temp table bill_fx: currency, since, usd) expanded to one row per currency and day up to 2100,
-- so re-pricing joins a row's day by hash instead of an as-of search. Grain: one row per currency × day.
CREATE OR REPLACE TEMP TABLE bill_fx_days AS
SELECT currency, unnest(generate_series(since::TIMESTAMP, until::TIMESTAMP, INTERVAL 1 DAY))::DATE AS day, usd
FROM (
    SELECT currency, since, usd,
           coalesce(lead(since) OVER (PARTITION BY currency ORDER BY since) - 1, DATE '2100-12-31') AS until
    FROM bill_fx
)
