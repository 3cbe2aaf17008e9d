-- Insert the staged rows of one import into bill_rows, cast and normalised to disjoint buckets.
-- Grain: one row per new source row. Rows already imported (same row_id), duplicates inside the file (first
-- line wins: Claude Code replays) and the lines in bill_bad_lines (skipped under --skip-bad) are left out.
INSERT INTO bill_rows
SELECT sha256($source_format || chr(31) || s.row_key)                      AS row_id,
       $import_id, $source_format, s.line,
       s.occurred_at::TIMESTAMPTZ, s.period_end::TIMESTAMPTZ, s.granularity, s.requests::BIGINT,
       s.provider_hint, s.source_model, m.provider, m.model,
       CASE WHEN s.input_tokens IS NULL THEN NULL
            WHEN s.input_includes_cache = 'true'
            THEN s.input_tokens::BIGINT - coalesce(s.cache_read::BIGINT, 0) - coalesce(s.cache_write_5m::BIGINT, 0)
                 - coalesce(s.cache_write_1h::BIGINT, 0)
            ELSE s.input_tokens::BIGINT END                                    AS input_uncached_tokens,
       CASE WHEN s.input_tokens IS NULL THEN NULL ELSE coalesce(s.cache_read::BIGINT, 0) END,
       CASE WHEN s.input_tokens IS NULL THEN NULL ELSE coalesce(s.cache_write_5m::BIGINT, 0) END,
       CASE WHEN s.input_tokens IS NULL THEN NULL ELSE coalesce(s.cache_write_1h::BIGINT, 0) END,
       s.output_tokens::BIGINT,
       CASE WHEN s.output_tokens IS NULL THEN NULL ELSE coalesce(s.reasoning_tokens::BIGINT, 0) END,
       coalesce(s.total_tokens::BIGINT,
                s.input_tokens::BIGINT + s.output_tokens::BIGINT
                + CASE WHEN s.input_includes_cache = 'true' THEN 0
                       ELSE coalesce(s.cache_read::BIGINT, 0) + coalesce(s.cache_write_5m::BIGINT, 0)
                            + coalesce(s.cache_write_1h::BIGINT, 0) END)       AS total_tokens,
       s.reported_cost::DECIMAL(38, 12), upper(s.currency), s.tier_hint, s.flags, s.raw::JSON
FROM bill_stage s
LEFT JOIN bill_model_map m ON m.provider_hint IS NOT DISTINCT FROM s.provider_hint AND m.source_model = s.source_model
WHERE s.line NOT IN (SELECT line FROM bill_bad_lines)
  AND sha256($source_format || chr(31) || s.row_key) NOT IN (SELECT row_id FROM bill_rows)
QUALIFY row_number() OVER (PARTITION BY s.row_key ORDER BY s.line) = 1
