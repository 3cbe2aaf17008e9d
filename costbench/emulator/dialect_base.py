"""What every emulated dialect provides: request parsing, usage, responses, streams and errors."""

from __future__ import annotations

from typing import Any

import orjson

from costbench.emulator.engine import Answer, ChatRequest


def sse(payload: Any, event: str | None = None) -> bytes:
    """One server-sent event."""
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + orjson.dumps(payload) + b"\n\n"


def text_of(content: Any) -> str:
    """Message content as text (a string, or a list of text blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def chunks(text: str, size: int = 24) -> list[str]:
    """The answer split the way a stream delivers it."""
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


class Dialect:
    """Base class of the emulated dialects."""

    name = ""

    def parse(self, body: dict[str, Any], model: str | None) -> ChatRequest:
        """The request in neutral form."""
        raise NotImplementedError

    def usage(self, answer: Answer, cost_usd: Any) -> dict[str, Any]:
        """The usage object exactly as the provider reports it."""
        raise NotImplementedError

    def response(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str) -> dict[str, Any]:
        """A non-streaming response body."""
        raise NotImplementedError

    def stream(self, req: ChatRequest, answer: Answer, usage: dict[str, Any] | None, rid: str,
               truncate: bool) -> list[bytes]:
        """The events of a streaming response (cut before usage when ``truncate``)."""
        raise NotImplementedError

    def error(self, status: int, message: str, kind: str) -> dict[str, Any]:
        """An error body in the provider's shape."""
        return {"error": {"message": message, "type": kind, "code": status}}
