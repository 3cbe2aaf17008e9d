-- Insert the staged rows of one import into bill_rows, cast and normalised to disjoint buckets.
-- Grain: one row per new source row. Rows already imported (same row_id), duplicates inside the file (first
-- line wins: Claude Code replays) and the lines in bill_bad_lines (skipped under --skip-bad) are left out.
INSERT INTO bill_rows
SELECT n.row_id, $import_id, $source_format, n.line, n.occurred_at::TIMESTAMPTZ, n.period_end::TIMESTAMPTZ,
       n.granularity, n.requests::BIGINT, left(n.provider_hint, 100), left(n.source_model, 200), m.provider, m.model,
       CASE WHEN n.i_in IS NULL THEN NULL
            WHEN n.input_includes_cache = 'true' THEN n.i_in - n.i_read - n.i_w5 - n.i_w1
            ELSE n.i_in END                                                       AS input_uncached_tokens,
       CASE WHEN n.i_in IS NOT NULL THEN n.i_read END,
       CASE WHEN n.i_in IS NOT NULL THEN n.i_w5 END,
       CASE WHEN n.i_in IS NOT NULL THEN n.i_w1 END,
       n.i_out,
       CASE WHEN n.i_out IS NOT NULL THEN coalesce(n.reasoning_tokens::BIGINT, 0) END,
       coalesce(n.total_tokens::BIGINT,
                n.i_in + n.i_out + CASE WHEN n.input_includes_cache = 'true' THEN 0
                                        ELSE n.i_read + n.i_w5 + n.i_w1 END)    AS total_tokens,
       n.reported_cost::DECIMAL(38, 12), upper(n.currency), n.tier_hint, n.flags, n.raw::JSON
FROM (
    SELECT s.*, md5($source_format || chr(31) || s.row_key)                    AS row_id,
           TRY_CAST(s.input_tokens AS BIGINT) AS i_in, coalesce(TRY_CAST(s.cache_read AS BIGINT), 0) AS i_read,
           coalesce(TRY_CAST(s.cache_write_5m AS BIGINT), 0) AS i_w5,
           coalesce(TRY_CAST(s.cache_write_1h AS BIGINT), 0) AS i_w1,
           TRY_CAST(s.output_tokens AS BIGINT) AS i_out      -- TRY_: bad lines (checked before) are joined away
    FROM bill_stage s
    WHERE s.line NOT IN (SELECT line FROM bill_bad_lines)
) n
JOIN (  -- the first good line of each key (a narrow aggregate: far cheaper than a window over whole rows)
    SELECT row_key, min(line) AS first_line FROM bill_stage
    WHERE line NOT IN (SELECT line FROM bill_bad_lines) GROUP BY row_key
) f ON f.row_key = n.row_key AND f.first_line = n.line
LEFT JOIN bill_model_map m ON m.provider_hint IS NOT DISTINCT FROM n.provider_hint AND m.source_model = n.source_model
WHERE n.row_id NOT IN (SELECT row_id FROM bill_rows)
