-- Every run, whatever its status (quarantined runs included, with the reason).
-- Grain: one row per run. No parameters.
SELECT r.run_id,
       r.run_at,
       r.status,
       r.status_reason,
       count(c.call_id)                                      AS calls,
       count(c.call_id) FILTER (WHERE c.status <> 'ok')      AS failed_calls,
       coalesce(sum(k.total_usd), 0)::DECIMAL(38, 12)        AS spend_usd,
       r.simulated,
       r.catalog_version,
       r.pricebook_version
FROM runs r LEFT JOIN calls c USING (run_id) LEFT JOIN costs k USING (call_id)
GROUP BY ALL
ORDER BY r.run_at, r.run_id
