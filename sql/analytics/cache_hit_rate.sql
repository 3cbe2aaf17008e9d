-- Share of input tokens served from the prompt cache, and of input written to it.
-- Grain: one row per provider × model over runs that passed the gate. No parameters.
-- Reads the night_usage rollup (its ok_* sums: successful calls only).
SELECT n.provider,
       n.model,
       sum(n.ok_cache_read_tokens)                                                     AS cache_read_tokens,
       sum(n.ok_cache_write_tokens)                                                    AS cache_write_tokens,
       sum(n.ok_input_tokens)                                                          AS input_tokens,
       (sum(n.ok_cache_read_tokens) / nullif(sum(n.ok_input_tokens), 0))::DOUBLE      AS cache_hit_rate,
       (sum(n.ok_cache_write_tokens) / nullif(sum(n.ok_input_tokens), 0))::DOUBLE     AS cache_write_rate
FROM night_usage n JOIN runs r ON r.run_id = n.run_id AND r.status = 'ok'
WHERE n.ok_calls > 0
GROUP BY ALL
ORDER BY n.provider, n.model
