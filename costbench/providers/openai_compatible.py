"""The OpenAI Chat Completions dialect and the vendors that speak it (DeepSeek, Mistral, xAI, OpenRouter).

Usage mapping (see docs/usage.md and shared PROVIDER-BILLING.md §0):
- ``prompt_tokens`` INCLUDES ``prompt_tokens_details.cached_tokens`` and ``cache_write_tokens``
  (openai-python ``src/openai/types/completion_usage.py``), so uncached = prompt − cached − written.
- ``completion_tokens`` INCLUDES ``completion_tokens_details.reasoning_tokens`` ("like reasoning tokens,
  these tokens are still counted in the total completion tokens for purposes of billing", same file).
- Streaming: with ``stream_options.include_usage`` the last chunk has ``choices: []`` and the usage of
  the whole request (``chat_completion_stream_options_param.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from costbench.errors import UsageError
from costbench.providers.base import Adapter, Completion, HttpRequest, Message, require_counters
from costbench.usage import TOKEN_FIELDS, Usage


def _int(data: Mapping[str, Any] | None, key: str) -> int:
    value = (data or {}).get(key)
    return int(value or 0)


def _checked(usage: Usage, raw: Mapping[str, Any]) -> Usage:
    """Reject impossible mappings instead of storing negative tokens."""
    negative = [name for name in TOKEN_FIELDS if getattr(usage, name) < 0]
    if negative:
        raise UsageError(f"usage {dict(raw)} maps to negative {', '.join(negative)}")
    if usage.reasoning_tokens > usage.output_tokens:
        raise UsageError(f"usage {dict(raw)}: reasoning tokens exceed output tokens")
    return usage


XAI_TICKS_PER_USD = Decimal(10) ** 10


class OpenAIChat(Adapter):
    """OpenAI ``POST /v1/chat/completions``."""

    dialect = "openai_chat"
    default_base_url = "https://api.openai.com/v1"
    api_key_env = "OPENAI_API_KEY"
    max_tokens_field = "max_completion_tokens"

    def build_request(self, model: str, messages: Sequence[Message], max_output_tokens: int, *,
                      cache_breakpoints: Sequence[int] = (), cache_ttl: str = "5m",
                      stream: bool = False) -> HttpRequest:
        body: dict[str, Any] = {"model": model, "messages": [dict(m) for m in messages],
                                self.max_tokens_field: max_output_tokens}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return HttpRequest("POST", "chat/completions", body, stream=stream)

    def parse(self, body: Mapping[str, Any]) -> Completion:
        usage = body.get("usage")
        if not usage:
            raise UsageError(f"{self.dialect}: response has no usage")
        choice = (body.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        return Completion(message.get("content") or "", self.normalize_usage(usage), dict(usage), dict(body),
                          body.get("model"), choice.get("finish_reason"))

    def parse_stream(self, events: Iterable[Mapping[str, Any]]) -> Completion:
        parts: list[str] = []
        usage = model = finish = None
        for event in events:
            for choice in event.get("choices") or []:
                parts.append((choice.get("delta") or {}).get("content") or "")
                finish = choice.get("finish_reason") or finish
            usage = event.get("usage") or usage
            model = event.get("model") or model
        if not usage:
            raise UsageError(f"{self.dialect}: stream ended without a usage chunk (truncated?)")
        return Completion("".join(parts), self.normalize_usage(usage), dict(usage), None, model, finish)

    def normalize_usage(self, raw: Mapping[str, Any]) -> Usage:
        require_counters(self.dialect, raw, "prompt_tokens", "completion_tokens")
        details = raw.get("prompt_tokens_details") or {}
        cached, written = _int(details, "cached_tokens"), _int(details, "cache_write_tokens")
        reasoning = _int(raw.get("completion_tokens_details"), "reasoning_tokens")
        # OpenAI does not report a write TTL: writes are billed at the 5-minute rate (PROVIDER-BILLING.md §1).
        usage = Usage(input_uncached_tokens=_int(raw, "prompt_tokens") - cached - written, cache_read_tokens=cached,
                      cache_write_5m_tokens=written, output_tokens=self._output(raw, reasoning),
                      reasoning_tokens=reasoning, provider_reported_cost=self._reported_cost(raw))
        return _checked(usage, raw)

    def _output(self, raw: Mapping[str, Any], reasoning: int) -> int:
        return _int(raw, "completion_tokens")

    def _reported_cost(self, raw: Mapping[str, Any]) -> Decimal | None:
        return None


class DeepSeek(OpenAIChat):
    """DeepSeek: ``prompt_cache_hit_tokens`` + ``prompt_cache_miss_tokens`` = ``prompt_tokens``.

    https://api-docs.deepseek.com/api/create-chat-completion (usage); ``prompt_tokens_details.cached_tokens``
    duplicates the hit count and must not be added again (PROVIDER-BILLING.md §5, trap 8).
    """

    dialect = "deepseek"
    default_base_url = "https://api.deepseek.com"
    api_key_env = "DEEPSEEK_API_KEY"
    max_tokens_field = "max_tokens"

    def normalize_usage(self, raw: Mapping[str, Any]) -> Usage:
        if "prompt_cache_hit_tokens" not in raw and "prompt_cache_miss_tokens" not in raw:
            return super().normalize_usage(raw)
        require_counters(self.dialect, raw, "prompt_cache_hit_tokens", "prompt_cache_miss_tokens", "completion_tokens")
        reasoning = _int(raw.get("completion_tokens_details"), "reasoning_tokens")
        usage = Usage(input_uncached_tokens=_int(raw, "prompt_cache_miss_tokens"),
                      cache_read_tokens=_int(raw, "prompt_cache_hit_tokens"),
                      output_tokens=_int(raw, "completion_tokens"), reasoning_tokens=reasoning)
        return _checked(usage, raw)


class Mistral(OpenAIChat):
    """Mistral: cache hits in ``prompt_tokens_details.cached_tokens``, a subset of ``prompt_tokens``.

    https://docs.mistral.ai/studio-api/conversations/advanced/prompt-caching
    """

    dialect = "mistral"
    default_base_url = "https://api.mistral.ai/v1"
    api_key_env = "MISTRAL_API_KEY"
    max_tokens_field = "max_tokens"


class XAI(OpenAIChat):
    """xAI native chat: ``completion_tokens`` EXCLUDES ``reasoning_tokens`` (total = prompt + completion + reasoning).

    https://docs.x.ai/developers/advanced-api-usage/prompt-caching/usage-and-pricing; verified against
    ``cost_in_usd_ticks`` in PROVIDER-BILLING.md §8.
    """

    dialect = "xai"
    default_base_url = "https://api.x.ai/v1"
    api_key_env = "XAI_API_KEY"
    max_tokens_field = "max_tokens"

    def _output(self, raw: Mapping[str, Any], reasoning: int) -> int:
        return _int(raw, "completion_tokens") + reasoning

    def _reported_cost(self, raw: Mapping[str, Any]) -> Decimal | None:
        # ``cost_in_usd_ticks``: the billed amount after caching discounts, 1 USD = 1e10 ticks
        # (https://docs.x.ai/developers/cost-tracking; PROVIDER-BILLING.md §8).
        ticks = raw.get("cost_in_usd_ticks")
        if ticks is None:
            return None
        if not isinstance(ticks, int) or isinstance(ticks, bool):
            raise UsageError(f"xai: unreadable cost_in_usd_ticks {ticks!r}: expected an integer")
        return Decimal(ticks) / XAI_TICKS_PER_USD


class OpenRouter(OpenAIChat):
    """OpenRouter: reasoning inside ``completion_tokens``; ``usage.cost`` in credits (USD).

    https://openrouter.ai/docs/use-cases/usage-accounting; ``prompt_tokens`` includes cached and
    cache-write tokens (verified by cost arithmetic, PROVIDER-BILLING.md §7). Its Responses-API shape
    (``input_tokens`` ⊇ ``input_tokens_details.cached_tokens``, ``output_tokens``, ``cost``) is read too.
    Models that cache only at explicit breakpoints (Anthropic, Gemini) get ``cache_control`` on content
    blocks, "required on a per-message basis" (https://openrouter.ai/docs/features/prompt-caching).
    """

    dialect = "openrouter"
    default_base_url = "https://openrouter.ai/api/v1"
    api_key_env = "OPENROUTER_API_KEY"
    max_tokens_field = "max_tokens"
    explicit_cache_prefixes = ("anthropic/", "google/gemini")

    def build_request(self, model: str, messages: Sequence[Message], max_output_tokens: int, *,
                      cache_breakpoints: Sequence[int] = (), cache_ttl: str = "5m",
                      stream: bool = False) -> HttpRequest:
        request = super().build_request(model, messages, max_output_tokens, stream=stream)
        if not cache_breakpoints or not model.startswith(self.explicit_cache_prefixes):
            return request
        # The same marks as the direct Anthropic adapter: the fixed context with the task's TTL, plus a
        # 5-minute one on the newest message (OpenRouter passes ``cache_control.ttl`` through to Anthropic).
        marks = {len(messages) - 1: "5m"}
        marks.update({i: cache_ttl for i in cache_breakpoints})
        request.json["messages"] = [
            {"role": m["role"], "content": [{"type": "text", "text": m["content"],
                                             "cache_control": self._cache_control(marks[i])}]}
            if i in marks else dict(m) for i, m in enumerate(messages)]
        return request

    @staticmethod
    def _cache_control(ttl: str) -> dict[str, str]:
        # The default TTL is 5 minutes; "1h" must be asked for.
        return {"type": "ephemeral", "ttl": "1h"} if ttl == "1h" else {"type": "ephemeral"}

    def normalize_usage(self, raw: Mapping[str, Any]) -> Usage:
        if "prompt_tokens" in raw or "input_tokens" not in raw:
            return super().normalize_usage(raw)
        require_counters(self.dialect, raw, "input_tokens", "output_tokens")
        details = raw.get("input_tokens_details") or {}
        cached, written = _int(details, "cached_tokens"), _int(details, "cache_write_tokens")
        usage = Usage(input_uncached_tokens=_int(raw, "input_tokens") - cached - written, cache_read_tokens=cached,
                      cache_write_5m_tokens=written, output_tokens=_int(raw, "output_tokens"),
                      reasoning_tokens=_int(raw.get("output_tokens_details"), "reasoning_tokens"),
                      provider_reported_cost=self._reported_cost(raw))
        return _checked(usage, raw)

    def _reported_cost(self, raw: Mapping[str, Any]) -> Decimal | None:
        cost = raw.get("cost")
        if cost is None or raw.get("is_byok"):  # BYOK calls report 0: the upstream bills them (§7)
            return None
        try:
            return Decimal(str(cost))
        except ArithmeticError:
            raise UsageError(f"openrouter: unreadable usage.cost {cost!r}") from None
