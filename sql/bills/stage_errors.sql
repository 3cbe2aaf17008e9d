-- Bad cells of the staged rows of one import (bill_stage, all text): each one a reason to reject the file.
-- Grain: one row per bad cell (line × staged column); zero rows means every staged row is importable.
WITH s AS (
    SELECT *,
           TRY_CAST(input_tokens AS BIGINT)   AS i_in,  TRY_CAST(cache_read AS BIGINT)       AS i_read,
           TRY_CAST(cache_write_5m AS BIGINT) AS i_w5,  TRY_CAST(cache_write_1h AS BIGINT)   AS i_w1,
           TRY_CAST(output_tokens AS BIGINT)  AS i_out, TRY_CAST(reasoning_tokens AS BIGINT) AS i_reason,
           TRY_CAST(total_tokens AS BIGINT)   AS i_total, TRY_CAST(requests AS BIGINT)       AS i_req
    FROM bill_stage
), cells AS (
    SELECT line, 'occurred_at' AS col, occurred_at AS value, 'is not a date/time' AS problem FROM s
        WHERE occurred_at IS NULL OR TRY_CAST(occurred_at AS TIMESTAMPTZ) IS NULL
    UNION ALL SELECT line, 'period_end', period_end, 'is not a date/time' FROM s
        WHERE period_end IS NOT NULL AND TRY_CAST(period_end AS TIMESTAMPTZ) IS NULL
    UNION ALL SELECT line, 'granularity', granularity, 'is not one of request, hour, day, week, month, total' FROM s
        WHERE granularity IS NULL OR granularity NOT IN ('request', 'hour', 'day', 'week', 'month', 'total')
    UNION ALL SELECT line, 'row_key', row_key, 'is empty: every row needs its id' FROM s
        WHERE row_key IS NULL OR trim(row_key) = ''
    UNION ALL SELECT line, 'source_model', source_model, 'is empty: every row needs a model id' FROM s
        WHERE source_model IS NULL OR trim(source_model) = ''
    UNION ALL SELECT line, 'requests', requests, 'is not a whole number >= 0' FROM s
        WHERE requests IS NOT NULL AND coalesce(i_req < 0, true)
    UNION ALL SELECT line, 'input_tokens', input_tokens, 'is not a whole number >= 0' FROM s
        WHERE input_tokens IS NOT NULL AND coalesce(i_in < 0, true)
    UNION ALL SELECT line, 'cache_read', cache_read, 'is not a whole number >= 0' FROM s
        WHERE cache_read IS NOT NULL AND coalesce(i_read < 0, true)
    UNION ALL SELECT line, 'cache_write_5m', cache_write_5m, 'is not a whole number >= 0' FROM s
        WHERE cache_write_5m IS NOT NULL AND coalesce(i_w5 < 0, true)
    UNION ALL SELECT line, 'cache_write_1h', cache_write_1h, 'is not a whole number >= 0' FROM s
        WHERE cache_write_1h IS NOT NULL AND coalesce(i_w1 < 0, true)
    UNION ALL SELECT line, 'output_tokens', output_tokens, 'is not a whole number >= 0' FROM s
        WHERE output_tokens IS NOT NULL AND coalesce(i_out < 0, true)
    UNION ALL SELECT line, 'reasoning_tokens', reasoning_tokens, 'is not a whole number >= 0' FROM s
        WHERE reasoning_tokens IS NOT NULL AND coalesce(i_reason < 0, true)
    UNION ALL SELECT line, 'total_tokens', total_tokens, 'is not a whole number >= 0' FROM s
        WHERE total_tokens IS NOT NULL AND coalesce(i_total < 0, true)
    UNION ALL SELECT line, 'output_tokens', output_tokens, 'is missing (and no total_tokens either): no token counts' FROM s
        WHERE (input_tokens IS NULL OR output_tokens IS NULL) AND total_tokens IS NULL
    UNION ALL SELECT line, 'input_tokens', input_tokens, 'is smaller than the cache reads + writes it includes' FROM s
        WHERE input_includes_cache = 'true'
          AND i_in < coalesce(i_read, 0) + coalesce(i_w5, 0) + coalesce(i_w1, 0)
    UNION ALL SELECT line, 'reported_cost', reported_cost, 'is not a decimal number' FROM s
        WHERE reported_cost IS NOT NULL AND TRY_CAST(reported_cost AS DECIMAL(38, 12)) IS NULL
    UNION ALL SELECT line, 'currency', currency, 'is not USD, EUR or CNY' FROM s
        WHERE reported_cost IS NOT NULL AND coalesce(upper(currency), '') NOT IN ('USD', 'EUR', 'CNY')
)
SELECT line, col, value, problem FROM cells ORDER BY line, col
