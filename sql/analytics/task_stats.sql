-- Per task version: attempts, success rate, spend and cost per solved case, average tokens per call.
-- Grain: one row per provider × model × task version, over runs that passed the gate. No parameters.
WITH ok AS (
    SELECT c.*, k.total_usd, g.passed
    FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
    LEFT JOIN costs k USING (call_id) LEFT JOIN grades g USING (call_id)
)
SELECT provider,
       model,
       task_id,
       task_version,
       any_value(task_category)                                         AS category,
       count(passed)                                                    AS attempts,
       count(*) FILTER (WHERE passed)                                   AS solved,
       (count(*) FILTER (WHERE passed) / nullif(count(passed), 0))::DOUBLE AS success_rate,
       coalesce(sum(total_usd), 0)::DECIMAL(38, 12)                    AS spend_usd,
       money_div(coalesce(sum(total_usd), 0), count(*) FILTER (WHERE passed)) AS cost_per_solved_task_usd,
       avg(input_uncached_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens)::DOUBLE AS avg_input_tokens,
       avg(output_tokens)::DOUBLE                                       AS avg_output_tokens
FROM ok
GROUP BY provider, model, task_id, task_version
ORDER BY task_id, task_version, provider, model
