-- Output tokens per input token: output-heavy work gains little from an input price cut.
-- Grain: one row per provider × model over runs that passed the gate. No parameters.
-- Reads the night_usage rollup (its ok_* sums: successful calls only).
SELECT n.provider,
       n.model,
       sum(n.ok_output_tokens)                                                       AS output_tokens,
       sum(n.ok_input_tokens)                                                        AS input_tokens,
       (sum(n.ok_output_tokens) / nullif(sum(n.ok_input_tokens), 0))::DOUBLE        AS output_input_ratio
FROM night_usage n JOIN runs r ON r.run_id = n.run_id AND r.status = 'ok'
WHERE n.ok_calls > 0
GROUP BY ALL
ORDER BY n.provider, n.model
