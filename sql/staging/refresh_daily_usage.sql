-- Rebuild the daily_usage rows of one run from its calls, costs and grades. Grain: one row per
-- run × provider × model × task version × price entry. Parameter: $run_id.
INSERT INTO daily_usage
SELECT c.run_id, c.provider, c.model, c.task_id, c.task_version, k.entry_id,
       count(*), count(g.call_id), count(*) FILTER (WHERE g.passed),
       coalesce(sum(k.total_usd), 0)::DECIMAL(38, 12),
       coalesce(sum(c.input_uncached_tokens), 0), coalesce(sum(c.cache_read_tokens), 0),
       coalesce(sum(c.cache_write_5m_tokens), 0), coalesce(sum(c.cache_write_1h_tokens), 0),
       coalesce(sum(c.output_tokens), 0), coalesce(sum(c.reasoning_tokens), 0),
       min(c.requested_at), max(c.requested_at)
FROM calls c LEFT JOIN costs k USING (call_id) LEFT JOIN grades g USING (call_id)
WHERE c.run_id = $run_id
GROUP BY c.run_id, c.provider, c.model, c.task_id, c.task_version, k.entry_id
