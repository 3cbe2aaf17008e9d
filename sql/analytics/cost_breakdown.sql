-- Where the money goes: tokens and USD per usage field (native cost × the call's FX rate).
-- Grain: one row per provider × model × usage field, over runs that passed the gate. No parameters.
-- Reads the night_usage rollup: its priced rows (entry_id set) carry each field's exact USD sum.
WITH priced AS (
    SELECT n.* FROM night_usage n JOIN runs r ON r.run_id = n.run_id AND r.status = 'ok'
    WHERE n.entry_id IS NOT NULL
),
fields AS (
    SELECT provider, model, 'input_uncached' AS field, input_uncached_tokens AS tokens, input_uncached_usd AS usd FROM priced
    UNION ALL SELECT provider, model, 'cache_read', cache_read_tokens, cache_read_usd FROM priced
    UNION ALL SELECT provider, model, 'cache_write_5m', cache_write_5m_tokens, cache_write_5m_usd FROM priced
    UNION ALL SELECT provider, model, 'cache_write_1h', cache_write_1h_tokens, cache_write_1h_usd FROM priced
    UNION ALL SELECT provider, model, 'output', output_tokens, output_usd FROM priced
    UNION ALL SELECT provider, model, 'request_fee', 0, request_fee_usd FROM priced
),
per_field AS (
    SELECT provider, model, field, sum(tokens) AS tokens, sum(usd)::DECIMAL(38, 12) AS cost_usd
    FROM fields GROUP BY provider, model, field
)
SELECT provider,
       model,
       field,
       tokens,
       cost_usd,
       (cost_usd / nullif(sum(cost_usd) OVER (PARTITION BY provider, model), 0))::DOUBLE AS cost_share  -- 0..1
FROM per_field
ORDER BY provider, model, field
