-- 0014: which price entry reproduces the provider's own figure for a call (OpenRouter usage.cost, xAI ticks).
-- costs.billed_entry_id: the entry in force (entry_id) when the figure matches it; the entry before it when
-- only that one matches (the provider still bills the old price: a billing lag, explained, not an error);
-- NULL when the call has no provider figure or no entry reproduces it. Grain unchanged (one row per call).
ALTER TABLE costs ADD COLUMN billed_entry_id VARCHAR;
