"""Opt-in tests against the real provider APIs: `pytest --live` with the provider's key set.

Each sends one tiny request through the adapter with httpx2 and checks the normalized usage. Without
--live they are skipped; with --live but no key they skip naming the missing variable.
"""

from __future__ import annotations

import httpx2
import pytest

from costbench.providers import get_adapter

MODELS = {
    "openai_chat": "gpt-5-mini", "openai_responses": "gpt-5-mini", "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash", "deepseek": "deepseek-chat", "mistral": "mistral-large-2411",
    "xai": "grok-4", "openrouter": "anthropic/claude-sonnet-4",
}


@pytest.mark.live
@pytest.mark.parametrize("dialect", sorted(MODELS))
def test_one_real_call_has_positive_usage(dialect: str, live_key) -> None:
    adapter = get_adapter(dialect)
    key = live_key(adapter.api_key_env)
    request = adapter.build_request(MODELS[dialect], [{"role": "user", "content": "Say OK."}], 256)
    with httpx2.Client(base_url=adapter.default_base_url.rstrip("/") + "/", headers=adapter.auth_headers(key),
                       timeout=60) as client:
        resp = client.request(request.method, request.path, json=request.json)
    assert resp.status_code == 200, resp.text[:300]
    completion = adapter.parse(resp.json())
    assert completion.usage.total_input_tokens > 0 and completion.usage.output_tokens > 0
