-- Where the money goes: tokens and USD per usage field (native cost × the call's FX rate).
-- Grain: one row per provider × model × usage field, over runs that passed the gate. No parameters.
WITH per_rate AS (   -- summed per FX rate first, so the six fields are unpivoted over a few rows, not every call
    SELECT c.provider, c.model, k.fx_rate_to_usd AS fx,
           sum(c.input_uncached_tokens) AS t_in, sum(c.cache_read_tokens) AS t_rd, sum(c.cache_write_5m_tokens) AS t_w5,
           sum(c.cache_write_1h_tokens) AS t_w1, sum(c.output_tokens) AS t_out,
           sum(k.input_uncached_cost) AS c_in, sum(k.cache_read_cost) AS c_rd, sum(k.cache_write_5m_cost) AS c_w5,
           sum(k.cache_write_1h_cost) AS c_w1, sum(k.output_cost) AS c_out, sum(k.request_fee) AS c_fee
    FROM calls c JOIN costs k USING (call_id) JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
    GROUP BY ALL
),
fields AS (   -- native cost × FX rate is exact in DECIMAL, so summing before multiplying changes nothing
    SELECT provider, model, 'input_uncached' AS field, t_in AS tokens, c_in * fx AS usd FROM per_rate
    UNION ALL SELECT provider, model, 'cache_read', t_rd, c_rd * fx FROM per_rate
    UNION ALL SELECT provider, model, 'cache_write_5m', t_w5, c_w5 * fx FROM per_rate
    UNION ALL SELECT provider, model, 'cache_write_1h', t_w1, c_w1 * fx FROM per_rate
    UNION ALL SELECT provider, model, 'output', t_out, c_out * fx FROM per_rate
    UNION ALL SELECT provider, model, 'request_fee', 0, c_fee * fx FROM per_rate
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
