-- Every run, whatever its status (quarantined runs included, with the reason).
-- Grain: one row per run. No parameters. Reads the night_usage rollup, refreshed at landing and at pricing,
-- so a landed run that is not (or could not be) priced still shows its calls, at $0 spend.
WITH per_run AS (
    SELECT run_id, sum(calls)::BIGINT AS calls, sum(failed_calls)::BIGINT AS failed_calls,
           sum(spend_usd)::DECIMAL(38, 12) AS spend_usd
    FROM night_usage GROUP BY run_id
)
SELECT r.run_id,
       r.run_at,
       r.status,
       r.status_reason,
       coalesce(p.calls, 0)                                  AS calls,
       coalesce(p.failed_calls, 0)                           AS failed_calls,
       coalesce(p.spend_usd, 0)::DECIMAL(38, 12)             AS spend_usd,
       r.simulated,
       r.catalog_version,
       r.pricebook_version
FROM runs r LEFT JOIN per_run p USING (run_id)
ORDER BY r.run_at, r.run_id
