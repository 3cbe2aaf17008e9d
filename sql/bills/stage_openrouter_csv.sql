-- Stage an OpenRouter activity CSV export ($path, one row per generation) as bill_stage text rows; anything shaped
-- like an API key ($key_shapes, costbench.secrets) is redacted from the raw row.
-- Grain: one row per CSV row; line = its line in the file (header = line 1). Columns by header name:
-- tokens_prompt INCLUDES tokens_cached (cache reads; OpenAI convention), tokens_reasoning is part of
-- tokens_completion, cost_total is the charge in USD credits, byok_usage_inference the BYOK estimate
-- (https://openrouter.ai/docs/guides/guides/activity-export; columns per ../shared/USAGE-EXPORTS.md §a1).
CREATE OR REPLACE TEMP TABLE bill_stage AS
SELECT (row_number() OVER () + 1)::BIGINT                                  AS line,
       generation_id                                                        AS row_key,
       created_at                                                           AS occurred_at,
       NULL::VARCHAR                                                        AS period_end,
       'request'                                                            AS granularity,
       '1'                                                                  AS requests,
       'openrouter'                                                         AS provider_hint,
       model_permaslug                                                      AS source_model,
       tokens_prompt                                                        AS input_tokens,
       'true'                                                               AS input_includes_cache,
       tokens_cached                                                        AS cache_read,
       NULL::VARCHAR AS cache_write_5m, NULL::VARCHAR AS cache_write_1h,
       tokens_completion                                                    AS output_tokens,
       tokens_reasoning                                                     AS reasoning_tokens,
       NULL::VARCHAR                                                        AS total_tokens,
       cost_total                                                           AS reported_cost,
       'USD'                                                                AS currency,
       NULL::VARCHAR                                                        AS tier_hint,
       nullif(concat_ws('; ',
           CASE WHEN model_permaslug LIKE 'anthropic/%'
                THEN 'cache writes not reported by the OpenRouter CSV (priced as uncached input)' END,
           CASE WHEN TRY_CAST(byok_usage_inference AS DECIMAL(38, 12)) > 0
                THEN 'BYOK: reported cost is the OpenRouter fee, not the inference' END,
           CASE WHEN lower(cancelled) = 'true' THEN 'cancelled generation' END), '') AS flags,
       regexp_replace(to_json(list_value(*COLUMNS(*)))::VARCHAR, $key_shapes, '[REDACTED]', 'g')
                                                                            AS raw  -- values; header in bill_imports
FROM read_csv($path, all_varchar = true, header = true) AS src
