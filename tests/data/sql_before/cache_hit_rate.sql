-- Share of input tokens served from the prompt cache, and of input written to it.
-- Grain: one row per provider × model over runs that passed the gate. No parameters.
SELECT c.provider,
       c.model,
       sum(c.cache_read_tokens)                                                       AS cache_read_tokens,
       sum(c.cache_write_5m_tokens + c.cache_write_1h_tokens)                         AS cache_write_tokens,
       sum(c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens) AS input_tokens,
       (sum(c.cache_read_tokens) / nullif(sum(c.input_uncached_tokens + c.cache_read_tokens
            + c.cache_write_5m_tokens + c.cache_write_1h_tokens), 0))::DOUBLE       AS cache_hit_rate,
       (sum(c.cache_write_5m_tokens + c.cache_write_1h_tokens) / nullif(sum(c.input_uncached_tokens
            + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens), 0))::DOUBLE AS cache_write_rate
FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
WHERE c.status = 'ok'
GROUP BY ALL
ORDER BY c.provider, c.model
