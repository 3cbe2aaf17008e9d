"""The OpenAI Responses dialect (``POST /v1/responses``).

Usage mapping (openai-python ``src/openai/types/responses/response_usage.py``): ``input_tokens`` INCLUDES
``input_tokens_details.cached_tokens`` (and ``cache_write_tokens``); ``output_tokens`` INCLUDES
``output_tokens_details.reasoning_tokens``. Streaming: usage arrives on the terminal ``response.completed``
event, whose ``response`` is a full Response (``response_completed_event.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from costbench.errors import UsageError
from costbench.providers.base import Adapter, Completion, HttpRequest, Message, require_counters
from costbench.providers.openai_compatible import _checked, _int
from costbench.usage import Usage


class OpenAIResponses(Adapter):
    """OpenAI Responses API."""

    dialect = "openai_responses"
    default_base_url = "https://api.openai.com/v1"
    api_key_env = "OPENAI_API_KEY"

    def build_request(self, model: str, messages: Sequence[Message], max_output_tokens: int, *,
                      cache_breakpoints: Sequence[int] = (), cache_ttl: str = "5m",
                      stream: bool = False) -> HttpRequest:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        body: dict[str, Any] = {"model": model, "max_output_tokens": max_output_tokens,
                                "input": [{"role": m["role"], "content": m["content"]}
                                          for m in messages if m["role"] != "system"]}
        if system:
            body["instructions"] = system
        if stream:
            body["stream"] = True
        return HttpRequest("POST", "responses", body, stream=stream)

    def parse(self, body: Mapping[str, Any]) -> Completion:
        usage = body.get("usage")
        if not usage:
            raise UsageError("openai_responses: response has no usage")
        return Completion(_output_text(body), self.normalize_usage(usage), dict(usage), dict(body), body.get("model"),
                          body.get("status"))

    def parse_stream(self, events: Iterable[Mapping[str, Any]]) -> Completion:
        for event in events:
            if event.get("type") == "response.completed":
                completion = self.parse(event.get("response") or {})
                return Completion(completion.text, completion.usage, completion.raw_usage, None, completion.model,
                                  completion.finish_reason)
        raise UsageError("openai_responses: stream ended without response.completed (truncated?)")

    def normalize_usage(self, raw: Mapping[str, Any]) -> Usage:
        require_counters(self.dialect, raw, "input_tokens", "output_tokens")
        details = raw.get("input_tokens_details") or {}
        cached, written = _int(details, "cached_tokens"), _int(details, "cache_write_tokens")
        usage = Usage(input_uncached_tokens=_int(raw, "input_tokens") - cached - written, cache_read_tokens=cached,
                      cache_write_5m_tokens=written, output_tokens=_int(raw, "output_tokens"),
                      reasoning_tokens=_int(raw.get("output_tokens_details"), "reasoning_tokens"))
        return _checked(usage, raw)


def _output_text(body: Mapping[str, Any]) -> str:
    parts = []
    for item in body.get("output") or []:
        if item.get("type") == "message":
            parts += [c.get("text", "") for c in item.get("content") or [] if c.get("type") == "output_text"]
    return "".join(parts)
