-- Cross-model token ratio measured on costbench's own runs: the same prompt (run, task version, case, repeat, turn)
-- sent to the source model ($sp/$sm) and to the target model ($tp/$tm), successful calls of gated runs only.
-- Grain: one row (pairs = 0 when the two models never answered the same prompt).
WITH a AS (
    SELECT c.run_id, c.task_id, c.task_version, c.case_id, c.repeat_index, c.turn_index, c.simulated,
           c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens AS tin,
           c.output_tokens AS tout
    FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
    WHERE c.provider = $sp AND c.model = $sm AND c.status = 'ok'
), b AS (
    SELECT c.run_id, c.task_id, c.task_version, c.case_id, c.repeat_index, c.turn_index,
           c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens AS tin,
           c.output_tokens AS tout
    FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
    WHERE c.provider = $tp AND c.model = $tm AND c.status = 'ok'
)
SELECT count(*)                        AS pairs,
       coalesce(sum(a.tin), 0)::BIGINT  AS source_input_tokens,
       coalesce(sum(b.tin), 0)::BIGINT  AS target_input_tokens,
       coalesce(sum(a.tout), 0)::BIGINT AS source_output_tokens,
       coalesce(sum(b.tout), 0)::BIGINT AS target_output_tokens,
       coalesce(bool_or(a.simulated), false) AS simulated
FROM a JOIN b USING (run_id, task_id, task_version, case_id, repeat_index, turn_index)
