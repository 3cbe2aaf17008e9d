-- Share of billed output that was hidden reasoning.
-- Grain: one row per provider × model over runs that passed the gate. No parameters.
SELECT c.provider,
       c.model,
       sum(c.reasoning_tokens)                                                    AS reasoning_tokens,
       sum(c.output_tokens)                                                       AS output_tokens,
       (sum(c.reasoning_tokens) / nullif(sum(c.output_tokens), 0))::DOUBLE        AS reasoning_share
FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
WHERE c.status = 'ok'
GROUP BY ALL
ORDER BY c.provider, c.model
