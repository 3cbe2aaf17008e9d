-- Price history: every entry of the current price-book version, list prices converted to USD at the entry's FX rate,
-- with its confidence and evidence.
-- Grain: one row per price entry. No parameters.
SELECT provider,
       model,
       entry_id,
       effective_from,
       announced_on,
       currency,
       (input_uncached_per_mtok * fx_rate_to_usd)::DECIMAL(38, 12) AS input_uncached_per_mtok_usd,
       (cache_read_per_mtok * fx_rate_to_usd)::DECIMAL(38, 12)     AS cache_read_per_mtok_usd,
       (cache_write_5m_per_mtok * fx_rate_to_usd)::DECIMAL(38, 12) AS cache_write_5m_per_mtok_usd,
       (cache_write_1h_per_mtok * fx_rate_to_usd)::DECIMAL(38, 12) AS cache_write_1h_per_mtok_usd,
       (output_per_mtok * fx_rate_to_usd)::DECIMAL(38, 12)         AS output_per_mtok_usd,
       source,
       d.confidence,                                               -- confirmed | unverified (marked on pages)
       d.evidence,
       d.undated
FROM price_entries
LEFT JOIN price_entry_details d USING (pricebook_version, entry_id)
WHERE pricebook_version = (SELECT arg_max(pricebook_version, run_at) FROM runs WHERE pricebook_version IS NOT NULL)
ORDER BY provider, model, effective_from
