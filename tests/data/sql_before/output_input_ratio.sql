-- Output tokens per input token: output-heavy work gains little from an input price cut.
-- Grain: one row per provider × model over runs that passed the gate. No parameters.
SELECT c.provider,
       c.model,
       sum(c.output_tokens)                                                          AS output_tokens,
       sum(c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens) AS input_tokens,
       (sum(c.output_tokens) / nullif(sum(c.input_uncached_tokens + c.cache_read_tokens
            + c.cache_write_5m_tokens + c.cache_write_1h_tokens), 0))::DOUBLE      AS output_input_ratio
FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
WHERE c.status = 'ok'
GROUP BY ALL
ORDER BY c.provider, c.model
