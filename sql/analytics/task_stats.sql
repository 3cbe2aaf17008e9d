-- Per task version: attempts, success rate, spend and cost per solved case, average tokens per call.
-- Grain: one row per provider × model × task version, over runs that passed the gate. No parameters.
-- Reads task_totals (migration 0016): the daily_usage sums over the runs whose status is 'ok', kept up to date
-- run by run, so nothing scans daily_usage (attempts and solved: BIGINT, not the HUGEINT of a sum()).
SELECT t.provider,
       t.model,
       t.task_id,
       t.task_version,
       t.category                                                       AS category,
       t.attempts                                                       AS attempts,
       t.solved                                                         AS solved,
       (t.solved / nullif(t.attempts, 0))::DOUBLE                       AS success_rate,
       t.spend_usd                                                      AS spend_usd,
       money_div(t.spend_usd, t.solved)                                 AS cost_per_solved_task_usd,
       (t.input_tokens / t.calls)::DOUBLE                               AS avg_input_tokens,     -- per call
       (t.output_tokens / t.calls)::DOUBLE                              AS avg_output_tokens
FROM task_totals t
ORDER BY t.task_id, t.task_version, t.provider, t.model
