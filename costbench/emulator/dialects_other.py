"""Anthropic Messages and Gemini generateContent.

Anthropic (anthropic-sdk-python ``types/usage.py``): ``input_tokens`` EXCLUDES cache reads and writes;
``cache_creation_input_tokens`` = ``cache_creation.ephemeral_5m_input_tokens`` + ``ephemeral_1h_input_tokens``;
streams carry usage in ``message_start`` (output provisional) and cumulative ``message_delta``.
Breakpoints are ``cache_control: {"type": "ephemeral", "ttl": "5m"|"1h"}`` on system or message blocks.
Gemini (python-genai ``GenerateContentResponseUsageMetadata``): ``promptTokenCount`` includes
``cachedContentTokenCount``; ``candidatesTokenCount`` excludes ``thoughtsTokenCount``; the total is their sum.
"""

from __future__ import annotations

from typing import Any

from costbench.emulator.dialect_base import Dialect, chunks, sse, text_of
from costbench.emulator.engine import Answer, ChatRequest


def _ttl(block: Any) -> int | None:
    if not isinstance(block, dict) or not isinstance(block.get("cache_control"), dict):
        return None
    return 3600 if block["cache_control"].get("ttl") == "1h" else 300


def blocks_ttl(content: Any) -> int | None:
    if isinstance(content, list):
        ttls = [t for t in (_ttl(b) for b in content) if t]
        return max(ttls) if ttls else None
    return None


class Anthropic(Dialect):
    """``POST /v1/messages``."""

    name = "anthropic"

    def parse(self, body: dict[str, Any], model: str | None) -> ChatRequest:
        messages: list[dict[str, str]] = []
        breakpoints: dict[int, int] = {}
        system = body.get("system")
        if system:
            messages.append({"role": "system", "content": text_of(system)})
            if (ttl := blocks_ttl(system)) is not None:
                breakpoints[0] = ttl
        for m in body["messages"]:
            if (ttl := blocks_ttl(m.get("content"))) is not None:
                breakpoints[len(messages)] = ttl
            messages.append({"role": m.get("role", "user"), "content": text_of(m.get("content"))})
        return ChatRequest(self.name, body["model"], messages, int(body.get("max_tokens") or 1024),
                           bool(body.get("stream")), breakpoints)

    def usage(self, answer: Answer, cost_usd: Any) -> dict[str, Any]:
        c = answer.cache
        return {"input_tokens": answer.prompt_tokens - c.read - c.write_5m - c.write_1h,
                "cache_creation_input_tokens": c.write_5m + c.write_1h, "cache_read_input_tokens": c.read,
                "cache_creation": {"ephemeral_5m_input_tokens": c.write_5m, "ephemeral_1h_input_tokens": c.write_1h},
                "output_tokens": answer.output_tokens, "service_tier": "standard"}

    def response(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str) -> dict[str, Any]:
        stop = "max_tokens" if answer.finish_reason == "length" else "end_turn"
        body: dict[str, Any] = {"id": f"msg_{rid}", "type": "message", "role": "assistant", "model": req.model,
                                "content": [{"type": "text", "text": answer.text}], "stop_reason": stop,
                                "stop_sequence": None}
        if usage is not None:
            body["usage"] = usage
        return body

    def stream(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str,
               truncate: bool) -> list[bytes]:
        start_usage = dict(usage or {}, output_tokens=1)
        message = self.response(req, answer, start_usage, rid) | {"content": [], "stop_reason": None}
        events = [sse({"type": "message_start", "message": message}, "message_start"),
                  sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                      "content_block_start")]
        events += [sse({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": part}},
                       "content_block_delta") for part in chunks(answer.text)]
        events.append(sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
        if truncate:
            return events
        delta_usage = {"output_tokens": answer.output_tokens}
        stop = "max_tokens" if answer.finish_reason == "length" else "end_turn"
        events.append(sse({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                           "usage": delta_usage}, "message_delta"))
        return [*events, sse({"type": "message_stop"}, "message_stop")]

    def error(self, status: int, message: str, kind: str) -> dict[str, Any]:
        names = {401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error",
                 529: "overloaded_error", 400: "invalid_request_error"}
        return {"type": "error", "error": {"type": names.get(status, "api_error"), "message": message}}


class Gemini(Dialect):
    """``POST /v1beta/models/{model}:generateContent`` and ``:streamGenerateContent?alt=sse``."""

    name = "gemini"

    def parse(self, body: dict[str, Any], model: str | None) -> ChatRequest:
        messages = []
        system = body.get("systemInstruction") or body.get("system_instruction")
        if system:
            messages.append({"role": "system", "content": "".join(p.get("text", "") for p in system.get("parts", []))})
        for c in body.get("contents", []):
            role = "assistant" if c.get("role") == "model" else "user"
            messages.append({"role": role, "content": "".join(p.get("text", "") for p in c.get("parts", []))})
        config = body.get("generationConfig") or {}
        return ChatRequest(self.name, model or "", messages, int(config.get("maxOutputTokens") or 8192))

    def usage(self, answer: Answer, cost_usd: Any) -> dict[str, Any]:
        usage: dict[str, Any] = {"promptTokenCount": answer.prompt_tokens, "candidatesTokenCount": answer.visible_tokens,
                                 "totalTokenCount": answer.prompt_tokens + answer.output_tokens,
                                 "promptTokensDetails": [{"modality": "TEXT", "tokenCount": answer.prompt_tokens}]}
        if answer.cache.read:
            usage["cachedContentTokenCount"] = answer.cache.read
        if answer.reasoning_tokens:
            usage["thoughtsTokenCount"] = answer.reasoning_tokens
        return usage

    def response(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str) -> dict[str, Any]:
        finish = "MAX_TOKENS" if answer.finish_reason == "length" else "STOP"
        body: dict[str, Any] = {"candidates": [{"content": {"parts": [{"text": answer.text}], "role": "model"},
                                                "finishReason": finish, "index": 0}],
                                "modelVersion": req.model, "responseId": rid}
        if usage is not None:
            body["usageMetadata"] = usage
        return body

    def stream(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str,
               truncate: bool) -> list[bytes]:
        parts = chunks(answer.text)
        events = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            chunk: dict[str, Any] = {"candidates": [{"content": {"parts": [{"text": part}], "role": "model"},
                                                     "index": 0}], "modelVersion": req.model, "responseId": rid}
            if last and not truncate:
                chunk["candidates"][0]["finishReason"] = "STOP"
                if usage is not None:
                    chunk["usageMetadata"] = usage
            events.append(sse(chunk))
        return events

    def error(self, status: int, message: str, kind: str) -> dict[str, Any]:
        statuses = {401: "UNAUTHENTICATED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 400: "INVALID_ARGUMENT"}
        return {"error": {"code": status, "message": message, "status": statuses.get(status, "INTERNAL")}}
