"""The Gemini ``generateContent`` dialect.

Usage mapping (python-genai ``google/genai/types.py`` ``GenerateContentResponseUsageMetadata``):
- ``promptTokenCount`` INCLUDES ``cachedContentTokenCount``; ``toolUsePromptTokenCount`` is NOT inside it
  and is billed as input: uncached = prompt − cached + toolUse.
- ``candidatesTokenCount`` EXCLUDES ``thoughtsTokenCount`` ("totalTokenCount … is the sum of
  prompt_token_count, candidates_token_count, tool_use_prompt_token_count, and thoughts_token_count");
  thoughts are billed as output (https://ai.google.dev/gemini-api/docs/pricing): output = candidates + thoughts.
- Streaming: every chunk carries usageMetadata; the last one covers the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from costbench.errors import UsageError
from costbench.providers.base import Adapter, Completion, HttpRequest, Message, require_counters
from costbench.providers.openai_compatible import _checked, _int
from costbench.usage import Usage


class Gemini(Adapter):
    """Google Gemini API."""

    dialect = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com/v1beta"
    api_key_env = "GEMINI_API_KEY"

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"x-goog-api-key": api_key}

    def build_request(self, model: str, messages: Sequence[Message], max_output_tokens: int, *,
                      cache_breakpoints: Sequence[int] = (), cache_ttl: str = "5m",
                      stream: bool = False) -> HttpRequest:
        system = [{"text": m["content"]} for m in messages if m["role"] == "system"]
        contents = [{"role": "model" if m["role"] == "assistant" else "user", "parts": [{"text": m["content"]}]}
                    for m in messages if m["role"] != "system"]
        body: dict[str, Any] = {"contents": contents, "generationConfig": {"maxOutputTokens": max_output_tokens}}
        if system:
            body["systemInstruction"] = {"parts": system}
        path = f"models/{model}:streamGenerateContent?alt=sse" if stream else f"models/{model}:generateContent"
        return HttpRequest("POST", path, body, stream=stream)

    def parse(self, body: Mapping[str, Any]) -> Completion:
        meta = body.get("usageMetadata")
        if not meta:
            raise UsageError("gemini: response has no usageMetadata")
        return Completion(_text(body), self.normalize_usage(meta), dict(meta), dict(body), body.get("modelVersion"),
                          _finish(body))

    def parse_stream(self, events: Iterable[Mapping[str, Any]]) -> Completion:
        chunks = list(events)
        metas = [c["usageMetadata"] for c in chunks if c.get("usageMetadata")]
        if not metas:
            raise UsageError("gemini: stream ended without usageMetadata (truncated?)")
        text = "".join(_text(c) for c in chunks)
        finish = next((f for f in (_finish(c) for c in reversed(chunks)) if f), None)
        return Completion(text, self.normalize_usage(metas[-1]), dict(metas[-1]), None,
                          chunks[-1].get("modelVersion"), finish)

    def normalize_usage(self, raw: Mapping[str, Any]) -> Usage:
        require_counters(self.dialect, raw, "promptTokenCount")  # zero candidates may be omitted, the prompt never
        cached, thoughts = _int(raw, "cachedContentTokenCount"), _int(raw, "thoughtsTokenCount")
        usage = Usage(input_uncached_tokens=_int(raw, "promptTokenCount") - cached + _int(raw, "toolUsePromptTokenCount"),
                      cache_read_tokens=cached, output_tokens=_int(raw, "candidatesTokenCount") + thoughts,
                      reasoning_tokens=thoughts)
        return _checked(usage, raw)


def _text(body: Mapping[str, Any]) -> str:
    candidates = body.get("candidates") or [{}]
    parts = (candidates[0].get("content") or {}).get("parts") or []
    return "".join(p.get("text", "") for p in parts if not p.get("thought"))


def _finish(body: Mapping[str, Any]) -> str | None:
    candidates = body.get("candidates") or [{}]
    return candidates[0].get("finishReason")
