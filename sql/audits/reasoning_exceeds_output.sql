-- Reasoning tokens are a subset of output tokens; more reasoning than output means a mapping bug. Grain: one row per offending call.
SELECT call_id, provider, model, output_tokens, reasoning_tokens
FROM calls
WHERE run_id = $run_id
  AND reasoning_tokens > output_tokens
