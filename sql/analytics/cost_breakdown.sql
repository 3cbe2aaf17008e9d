-- Where the money goes: tokens and USD per usage field (native cost × the call's FX rate).
-- Grain: one row per provider × model × usage field, over runs that passed the gate. No parameters.
WITH per_call AS (
    SELECT c.provider, c.model, k.fx_rate_to_usd AS fx,
           c.input_uncached_tokens, c.cache_read_tokens, c.cache_write_5m_tokens, c.cache_write_1h_tokens, c.output_tokens,
           k.input_uncached_cost, k.cache_read_cost, k.cache_write_5m_cost, k.cache_write_1h_cost, k.output_cost, k.request_fee
    FROM calls c JOIN costs k USING (call_id) JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
),
fields AS (
    SELECT provider, model, 'input_uncached' AS field, input_uncached_tokens AS tokens, input_uncached_cost * fx AS usd FROM per_call
    UNION ALL SELECT provider, model, 'cache_read', cache_read_tokens, cache_read_cost * fx FROM per_call
    UNION ALL SELECT provider, model, 'cache_write_5m', cache_write_5m_tokens, cache_write_5m_cost * fx FROM per_call
    UNION ALL SELECT provider, model, 'cache_write_1h', cache_write_1h_tokens, cache_write_1h_cost * fx FROM per_call
    UNION ALL SELECT provider, model, 'output', output_tokens, output_cost * fx FROM per_call
    UNION ALL SELECT provider, model, 'request_fee', 0, request_fee * fx FROM per_call
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
