-- The input/output mix costbench measured per task for the task categories $categories (a list), over successful
-- calls of gated runs of every model. Grain: one row per task. Used to estimate totals-only bills.
SELECT c.task_id,
       c.task_category,
       sum(c.input_uncached_tokens + c.cache_read_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens)::BIGINT
                                  AS input_tokens,
       sum(c.output_tokens)::BIGINT AS output_tokens,
       count(*)                   AS calls
FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
WHERE c.status = 'ok' AND c.task_category IN (SELECT unnest($categories::VARCHAR[]))
GROUP BY c.task_id, c.task_category
HAVING sum(c.output_tokens) + sum(c.input_uncached_tokens) > 0
ORDER BY c.task_id
