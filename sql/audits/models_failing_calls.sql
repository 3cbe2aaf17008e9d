-- Models that failed the run: no successful call at all, or a failed-call share above $max_failed_share.
-- A failed call is any call whose status is not 'ok' (HTTP error, usage unreadable, timed out); the dominant
-- cause is its most frequent error, shortened to "HTTP <status> <provider message>". Grain: one row per model.
WITH failed AS (
    SELECT provider, model, status,
           CASE status
               WHEN 'ok' THEN NULL
               WHEN 'usage_unreadable' THEN 'usage unreadable: ' || coalesce(error, 'no usage')
               WHEN 'timed_out' THEN coalesce(error, 'timed out')
               ELSE coalesce('HTTP ' || http_status::VARCHAR || ' '
                             || nullif(regexp_extract(error, '"message"\s*:\s*"([^"]*)"', 1), ''), error,
                             'HTTP ' || http_status::VARCHAR)
           END AS cause
    FROM calls
    WHERE run_id = $run_id
),
per_model AS (
    SELECT provider, model,
           count(*)                               AS calls,         -- every landed call of the model
           count(*) FILTER (WHERE status <> 'ok') AS failed_calls,
           mode(cause)                            AS dominant_cause, -- NULL when nothing failed
           count(*) FILTER (WHERE status = 'ok')  AS ok_calls
    FROM failed
    GROUP BY provider, model
)
SELECT provider, model, calls, failed_calls, ok_calls, dominant_cause
FROM per_model
WHERE ok_calls = 0 OR failed_calls > calls * $max_failed_share
ORDER BY provider, model
