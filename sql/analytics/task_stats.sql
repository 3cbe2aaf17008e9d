-- Per task version: attempts, success rate, spend and cost per solved case, average tokens per call.
-- Grain: one row per provider × model × task version, over runs that passed the gate. No parameters.
-- Reads the daily_usage rollup, which carries each task version's category.
SELECT d.provider,
       d.model,
       d.task_id,
       d.task_version,
       any_value(d.task_category)                                       AS category,
       sum(d.attempts)                                                  AS attempts,
       sum(d.solved)                                                    AS solved,
       (sum(d.solved) / nullif(sum(d.attempts), 0))::DOUBLE             AS success_rate,
       coalesce(sum(d.spend_usd), 0)::DECIMAL(38, 12)                   AS spend_usd,
       money_div(coalesce(sum(d.spend_usd), 0), sum(d.solved))          AS cost_per_solved_task_usd,
       (sum(d.input_uncached_tokens + d.cache_read_tokens + d.cache_write_5m_tokens + d.cache_write_1h_tokens)
        / sum(d.calls))::DOUBLE                                         AS avg_input_tokens,     -- per call
       (sum(d.output_tokens) / sum(d.calls))::DOUBLE                    AS avg_output_tokens
FROM daily_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
GROUP BY d.provider, d.model, d.task_id, d.task_version
ORDER BY d.task_id, d.task_version, d.provider, d.model
