"""The Anthropic Messages dialect (``POST /v1/messages``).

Usage mapping (anthropic-sdk-python ``src/anthropic/types/usage.py`` and ``cache_creation.py``):
- ``input_tokens`` EXCLUDES cache reads and writes: uncached = input_tokens (never subtract).
- ``cache_read_input_tokens`` → cache_read; ``cache_creation.ephemeral_5m_input_tokens`` /
  ``ephemeral_1h_input_tokens`` → writes by TTL; without the ``cache_creation`` object the aggregate
  ``cache_creation_input_tokens`` is 5-minute writes. Never bill the aggregate AND the split.
- ``output_tokens`` includes thinking ("the inclusive, authoritative total used for billing",
  ``output_tokens_details.py``); ``output_tokens_details.thinking_tokens`` → reasoning.
- Streaming: ``message_start.message.usage`` then CUMULATIVE ``message_delta.usage``
  (``message_delta_usage.py``): take the last value of each field, never sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from costbench.errors import UsageError
from costbench.providers.base import Adapter, Completion, HttpRequest, Message, require_counters
from costbench.providers.openai_compatible import _checked, _int
from costbench.usage import Usage

ANTHROPIC_VERSION = "2023-06-01"


class Anthropic(Adapter):
    """Anthropic Messages."""

    dialect = "anthropic"
    default_base_url = "https://api.anthropic.com/v1"
    api_key_env = "ANTHROPIC_API_KEY"

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION}

    def build_request(self, model: str, messages: Sequence[Message], max_output_tokens: int, *,
                      cache_breakpoints: Sequence[int] = (), cache_ttl: str = "5m",
                      stream: bool = False) -> HttpRequest:
        # Breakpoints after the task's fixed context (with the task's TTL), plus a 5-minute one on the newest
        # message so that each turn of a growing conversation caches its prefix for the next (Anthropic's
        # incremental caching pattern; 1 h entries must come before 5 min ones:
        # https://platform.claude.com/docs/en/build-with-claude/prompt-caching#mixing-different-ttls).
        marks = {len(messages) - 1: "5m"} if cache_breakpoints else {}
        marks.update({i: cache_ttl for i in cache_breakpoints})
        system = [self._block(m["content"], marks.get(i)) for i, m in enumerate(messages) if m["role"] == "system"]
        turns = [{"role": m["role"], "content": [self._block(m["content"], marks.get(i))]}
                 for i, m in enumerate(messages) if m["role"] != "system"]
        body: dict[str, Any] = {"model": model, "max_tokens": max_output_tokens, "messages": turns}
        if system:
            body["system"] = system
        if stream:
            body["stream"] = True
        return HttpRequest("POST", "messages", body, stream=stream)

    @staticmethod
    def _block(text: str, ttl: str | None) -> dict[str, Any]:
        block: dict[str, Any] = {"type": "text", "text": text}
        if ttl is not None:  # the default TTL is 5 minutes; "1h" must be asked for
            block["cache_control"] = {"type": "ephemeral", "ttl": "1h"} if ttl == "1h" else {"type": "ephemeral"}
        return block

    def parse(self, body: Mapping[str, Any]) -> Completion:
        usage = body.get("usage")
        if not usage:
            raise UsageError("anthropic: response has no usage")
        text = "".join(b.get("text", "") for b in body.get("content") or [] if b.get("type") == "text")
        return Completion(text, self.normalize_usage(usage), dict(usage), dict(body), body.get("model"),
                          body.get("stop_reason"))

    def parse_stream(self, events: Iterable[Mapping[str, Any]]) -> Completion:
        usage: dict[str, Any] = {}
        parts: list[str] = []
        model = stop = None
        for event in events:
            kind = event.get("type")
            if kind == "message_start":
                message = event.get("message") or {}
                usage.update(message.get("usage") or {})
                model = message.get("model")
            elif kind == "content_block_delta":
                parts.append((event.get("delta") or {}).get("text") or "")
            elif kind == "message_delta":
                usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
                stop = (event.get("delta") or {}).get("stop_reason") or stop
        if not usage:
            raise UsageError("anthropic: stream ended without usage (truncated?)")
        return Completion("".join(parts), self.normalize_usage(usage), usage, None, model, stop)

    def normalize_usage(self, raw: Mapping[str, Any]) -> Usage:
        require_counters(self.dialect, raw, "input_tokens", "output_tokens")
        creation = raw.get("cache_creation")
        if creation:
            write_5m, write_1h = _int(creation, "ephemeral_5m_input_tokens"), _int(creation, "ephemeral_1h_input_tokens")
        else:
            write_5m, write_1h = _int(raw, "cache_creation_input_tokens"), 0
        usage = Usage(input_uncached_tokens=_int(raw, "input_tokens"), cache_read_tokens=_int(raw, "cache_read_input_tokens"),
                      cache_write_5m_tokens=write_5m, cache_write_1h_tokens=write_1h,
                      output_tokens=_int(raw, "output_tokens"),
                      reasoning_tokens=_int(raw.get("output_tokens_details"), "thinking_tokens"))
        return _checked(usage, raw)
