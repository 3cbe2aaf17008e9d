-- Claude Code Router v3 usage.sqlite, table usage_events (musistudio/claude-code-router packages/core/src/usage/store.ts).
CREATE TABLE usage_events (id INTEGER PRIMARY KEY, created_at TEXT, request_id TEXT, client TEXT, method TEXT, path TEXT,
  model TEXT, logical_model TEXT, provider TEXT, credential_id TEXT, status_code INTEGER, duration_ms INTEGER,
  input_tokens INTEGER, output_tokens INTEGER, cache_read_tokens INTEGER, cache_write_tokens INTEGER, total_tokens INTEGER,
  cost_usd REAL, cost_source TEXT);
INSERT INTO usage_events VALUES (42,'2025-10-03T09:12:44.101Z','req_9f2','claude-code','POST','/v1/messages','deepseek-chat','DeepSeek/deepseek-chat','DeepSeek','cred-1',200,5310,1000000,100000,2000000,0,3100000,0.15,'litellm');
INSERT INTO usage_events VALUES (43,'2025-10-03T09:13:00.000Z','req_9f3','claude-code','POST','/v1/messages','deepseek-v4-flash','DeepSeek/deepseek-v4-flash','DeepSeek','cred-1',200,100,10,10,0,0,20,0.00001,'litellm');
