-- The FX rates that converted native-currency costs to USD (methodology), with what each rate is and the
-- native amounts next to their USD value. Grain: one row per currency × rate used by runs that passed the gate.
-- No parameters. A call is converted at the rate in force on its own date (no look-ahead).
SELECT k.currency,
       k.fx_rate_to_usd                                   AS usd_per_unit,
       any_value(f.since)                                 AS rate_known_since,
       any_value(f.basis)                                 AS basis,
       any_value(f.source)                                AS source,
       count(*)                                           AS calls,
       min(c.requested_at)::DATE                          AS first_call,
       max(c.requested_at)::DATE                          AS last_call,
       sum(k.total)::DECIMAL(38, 12)                      AS native_total,
       sum(k.total_usd)::DECIMAL(38, 12)                  AS usd_total
FROM costs k
JOIN calls c USING (call_id)
JOIN runs r ON r.run_id = k.run_id AND r.status = 'ok'
LEFT JOIN fx_rates f ON f.pricebook_version = k.pricebook_version AND f.currency = k.currency AND f.usd = k.fx_rate_to_usd
WHERE k.currency <> 'USD'
GROUP BY ALL
ORDER BY k.currency, first_call
