"""OpenAI Chat Completions and Responses, and the vendors speaking the chat dialect.

Usage shapes, per provider docs / SDK types (see costbench/providers/ for the citations):
OpenAI chat ``prompt_tokens`` ⊇ ``prompt_tokens_details.cached_tokens``, ``completion_tokens`` ⊇
``reasoning_tokens``; DeepSeek adds ``prompt_cache_hit_tokens`` + ``prompt_cache_miss_tokens``
(api-docs.deepseek.com/api/create-chat-completion); xAI native ``completion_tokens`` EXCLUDES
``reasoning_tokens`` and reports ``cost_in_usd_ticks`` (1 USD = 1e10 ticks, docs.x.ai cost-tracking);
OpenRouter reports ``cost`` and ``prompt_tokens_details.cache_write_tokens`` (openrouter.ai/docs/use-cases/usage-accounting).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from costbench.emulator.dialect_base import Dialect, chunks, sse, text_of
from costbench.emulator.dialects_other import blocks_ttl
from costbench.emulator.engine import Answer, ChatRequest


class OpenAIChat(Dialect):
    """``POST /v1/chat/completions``."""

    name = "openai_chat"

    def parse(self, body: dict[str, Any], model: str | None) -> ChatRequest:
        messages = [{"role": m.get("role", "user"), "content": text_of(m.get("content"))} for m in body["messages"]]
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or 4096
        return ChatRequest(self.name, body["model"], messages, int(max_tokens), bool(body.get("stream")))

    def usage(self, answer: Answer, cost_usd: Any) -> dict[str, Any]:
        c = answer.cache
        return {
            "prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.output_tokens,
            "total_tokens": answer.prompt_tokens + answer.output_tokens,
            "prompt_tokens_details": {"cached_tokens": c.read, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": answer.reasoning_tokens, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        }

    def response(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": f"chatcmpl-{rid}", "object": "chat.completion", "created": int(time.time()), "model": req.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text, "refusal": None},
                         "logprobs": None, "finish_reason": answer.finish_reason}],
            "service_tier": "default", "system_fingerprint": "fp_costbench_emulator",
        }
        if usage is not None:
            body["usage"] = usage
        return body

    def stream(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str,
               truncate: bool) -> list[bytes]:
        base = {"id": f"chatcmpl-{rid}", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": req.model, "system_fingerprint": "fp_costbench_emulator"}
        events = [sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                             "finish_reason": None}]})]
        events += [sse({**base, "choices": [{"index": 0, "delta": {"content": part}, "finish_reason": None}]})
                   for part in chunks(answer.text)]
        events.append(sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": answer.finish_reason}]}))
        if truncate:
            return events
        if usage is not None:
            events.append(sse({**base, "choices": [], "usage": usage}))
        return [*events, b"data: [DONE]\n\n"]


class DeepSeek(OpenAIChat):
    """DeepSeek chat: hit + miss fields; cached_tokens duplicates the hit count."""

    name = "deepseek"

    def usage(self, answer: Answer, cost_usd: Any) -> dict[str, Any]:
        hit = answer.cache.read
        usage = {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.output_tokens,
                 "total_tokens": answer.prompt_tokens + answer.output_tokens,
                 "prompt_tokens_details": {"cached_tokens": hit},
                 "prompt_cache_hit_tokens": hit, "prompt_cache_miss_tokens": answer.prompt_tokens - hit}
        if answer.reasoning_tokens:
            usage["completion_tokens_details"] = {"reasoning_tokens": answer.reasoning_tokens}
        return usage


class Mistral(OpenAIChat):
    """Mistral chat: cached tokens in prompt_tokens_details."""

    name = "mistral"

    def usage(self, answer: Answer, cost_usd: Any) -> dict[str, Any]:
        return {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.output_tokens,
                "total_tokens": answer.prompt_tokens + answer.output_tokens,
                "prompt_tokens_details": {"cached_tokens": answer.cache.read}}


class XAI(OpenAIChat):
    """xAI native chat: reasoning outside completion_tokens; cost in 1e-10 USD ticks."""

    name = "xai"

    def usage(self, answer: Answer, cost_usd: Any) -> dict[str, Any]:
        visible, reasoning = answer.visible_tokens, answer.reasoning_tokens
        usage = {"prompt_tokens": answer.prompt_tokens, "completion_tokens": visible,
                 "total_tokens": answer.prompt_tokens + visible + reasoning,
                 "prompt_tokens_details": {"text_tokens": answer.prompt_tokens, "audio_tokens": 0, "image_tokens": 0,
                                           "cached_tokens": answer.cache.read},
                 "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                               "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
                 "num_sources_used": 0}
        if cost_usd is not None:  # the biller already rounded to whole ticks
            usage["cost_in_usd_ticks"] = int(Decimal(cost_usd) * 10**10)
        return usage


class OpenRouter(OpenAIChat):
    """OpenRouter: prompt_tokens include reads and writes; cost in credits (USD)."""

    name = "openrouter"

    def parse(self, body: dict[str, Any], model: str | None) -> ChatRequest:
        # cache_control on content blocks reaches Anthropic/Gemini upstreams (openrouter.ai/docs/features/prompt-caching)
        req = super().parse(body, model)
        marks = {i: ttl for i, m in enumerate(body["messages"]) if (ttl := blocks_ttl(m.get("content"))) is not None}
        return ChatRequest(req.provider, req.model, req.messages, req.max_tokens, req.stream, marks)

    def usage(self, answer: Answer, cost_usd: Any) -> dict[str, Any]:
        c = answer.cache
        cost = float(cost_usd) if cost_usd is not None else None  # no billing price: no figure, never 0
        return {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.output_tokens,
                "total_tokens": answer.prompt_tokens + answer.output_tokens,
                "prompt_tokens_details": {"cached_tokens": c.read, "cache_write_tokens": c.write_5m + c.write_1h,
                                          "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": answer.reasoning_tokens, "image_tokens": 0},
                "cost": cost, "is_byok": False, "cost_details": {"upstream_inference_cost": cost}}


class OpenAIResponses(Dialect):
    """``POST /v1/responses``."""

    name = "openai_responses"

    def parse(self, body: dict[str, Any], model: str | None) -> ChatRequest:
        raw = body.get("input")
        items = [{"role": "user", "content": raw}] if isinstance(raw, str) else list(raw or [])
        messages = [{"role": "system", "content": body["instructions"]}] if body.get("instructions") else []
        messages += [{"role": m.get("role", "user"), "content": text_of(m.get("content"))} for m in items]
        return ChatRequest(self.name, body["model"], messages, int(body.get("max_output_tokens") or 4096),
                           bool(body.get("stream")))

    def usage(self, answer: Answer, cost_usd: Any) -> dict[str, Any]:
        return {"input_tokens": answer.prompt_tokens,
                "input_tokens_details": {"cached_tokens": answer.cache.read},
                "output_tokens": answer.output_tokens,
                "output_tokens_details": {"reasoning_tokens": answer.reasoning_tokens},
                "total_tokens": answer.prompt_tokens + answer.output_tokens}

    def response(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str) -> dict[str, Any]:
        return {"id": f"resp_{rid}", "object": "response", "created_at": int(time.time()), "status": "completed",
                "model": req.model, "output": [{"type": "message", "id": f"msg_{rid}", "status": "completed",
                                                "role": "assistant", "content": [
                                                    {"type": "output_text", "text": answer.text, "annotations": []}]}],
                "usage": usage}

    def stream(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str,
               truncate: bool) -> list[bytes]:
        events = [sse({"type": "response.created", "response": {"id": f"resp_{rid}", "status": "in_progress"}},
                      "response.created")]
        events += [sse({"type": "response.output_text.delta", "delta": part}, "response.output_text.delta")
                   for part in chunks(answer.text)]
        if truncate:
            return events
        done = self.response(req, answer, usage, rid)
        return [*events, sse({"type": "response.completed", "response": done}, "response.completed")]
