-- 0007: money that cannot be read is never $0. Grain: unchanged (one row per call in calls and in costs).
-- calls.charged_usd: what the runner's budget charged the call (its usage priced; a 200 whose usage cannot be
--   read, or a request sent and never answered, at its worst case; an HTTP error 0). NULL for older rows.
-- calls.cost_estimate: for a call charged at worst case, the bound used and why (JSON: prompt_tokens_max,
--   output_tokens_max, usd, reason). Its costs row is then flagged estimated, with the reason.
ALTER TABLE calls ADD COLUMN charged_usd DECIMAL(38, 12);
ALTER TABLE calls ADD COLUMN cost_estimate JSON;
ALTER TABLE costs ADD COLUMN estimated BOOLEAN DEFAULT false;
ALTER TABLE costs ADD COLUMN estimate_reason VARCHAR;
