"""The emulator's ASGI app: routing, auth, idempotency, faults, rate limits, latency, ledger.

Raw ASGI (no framework) keeps it fast enough to never be a benchmark's bottleneck. URL scheme:
``/<provider>/<the real API's path>`` (docs/emulator.md), plus ``/_emulator/{health,ledger,config}``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import re
from typing import Any

import orjson

from costbench.emulator.dialect_base import Dialect
from costbench.emulator.dialects_openai import DeepSeek, Mistral, OpenAIChat, OpenAIResponses, OpenRouter, XAI
from costbench.emulator.dialects_other import Anthropic, Gemini
from costbench.emulator.engine import Answer, ChatRequest, Engine
from costbench.emulator.ledger import Biller, Invoice, LedgerEntry, load_billing
from costbench.errors import did_you_mean

_ROUTES: list[tuple[re.Pattern[str], str, Dialect]] = [
    (re.compile(r"^/openai/v1/chat/completions$"), "openai", OpenAIChat()),
    (re.compile(r"^/openai/v1/responses$"), "openai", OpenAIResponses()),
    (re.compile(r"^/anthropic/v1/messages$"), "anthropic", Anthropic()),
    (re.compile(r"^/google/v1beta/models/(?P<model>[^:]+):(?P<verb>generateContent|streamGenerateContent)$"),
     "google", Gemini()),
    (re.compile(r"^/deepseek(/v1)?/chat/completions$"), "deepseek", DeepSeek()),
    (re.compile(r"^/mistral/v1/chat/completions$"), "mistral", Mistral()),
    (re.compile(r"^/xai/v1/chat/completions$"), "xai", XAI()),
    (re.compile(r"^/openrouter/api/v1/chat/completions$"), "openrouter", OpenRouter()),
]


class Emulator:
    """The ASGI callable."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._inflight: dict[str, asyncio.Future[None]] = {}
        """Idempotency keys whose first request is being served (one event loop serves the app)."""
        self.biller = Biller(load_billing(engine.config.billing_file))  # its own prices, never costbench's

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await _read(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path = scope["path"]
        if path.startswith("/_emulator/"):
            status, payload = self._admin(scope["method"], path, body)
            await _send(send, status, orjson.dumps(payload))
            return
        for pattern, provider, dialect in _ROUTES:
            match = pattern.match(path)
            if match:
                await self._chat(send, provider, dialect, match.groupdict(), body, headers, scope)
                return
        await _send(send, 404, orjson.dumps({"error": {"message": f"no route {path}", "type": "not_found"}}))

    def _admin(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if path == "/_emulator/health":
            return 200, {"ok": True}
        if path == "/_emulator/ledger":
            return 200, [e.to_dict() for e in self.engine.ledger.entries()]
        if path == "/_emulator/config" and method == "POST":
            try:
                self.engine.configure(**orjson.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return 400, {"error": str(exc)[:500]}
            return 200, self.engine.config.model_dump(mode="json")
        return 404, {"error": f"unknown admin path {path}"}

    async def _chat(self, send: Any, provider: str, dialect: Dialect, params: dict[str, str], body: bytes,
                    headers: dict[str, str], scope: dict[str, Any]) -> None:
        engine = self.engine
        number = engine.next_number()
        now_dt = engine.now(headers.get("x-emulator-clock"))
        key = _api_key(headers, scope)
        digest = hashlib.sha256(body).hexdigest()
        try:
            req = dialect.parse(orjson.loads(body), params.get("model"))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            await self._fail(send, dialect, 400, f"invalid request: {exc}", "invalid_request_error", provider, "?",
                             headers, now_dt, digest, key)
            return
        stream = req.stream or params.get("verb") == "streamGenerateContent"
        note = _Note(provider, req.model, headers.get("x-costbench-call-id"), now_dt.isoformat(), digest,
                     _fingerprint(key))
        persona = engine.persona(req.model)
        if persona is None or persona.provider != provider:
            known = [m for m, p in engine.personas.items() if p.provider == provider]
            await self._fail(send, dialect, 404, f"model {req.model!r} not found.{did_you_mean(req.model, known)}",
                             "not_found_error", provider, req.model, headers, now_dt, digest, key)
            return
        persona = persona.at(now_dt)  # a name can switch model on a date (personas.yml `switches`)
        if not key or key.startswith(("bad-", "revoked-")):
            await self._fail(send, dialect, 401, "invalid API key", "authentication_error", provider, req.model,
                             headers, now_dt, digest, key)
            return
        idem = headers.get("idempotency-key")
        if idem:  # honoured from the moment a request arrives: a retry waits for the first, then replays it
            reply = await self._reply_of(idem)
            if reply is not None:
                status, payload, ctype = reply
                engine.ledger.add(note.entry(status, billed=False, replay=True, usage=None))
                await _send(send, status, payload, ctype)
                return
            self._inflight[idem] = asyncio.get_running_loop().create_future()
        try:
            faults = engine.config.faults
            if faults.server_error_every and number % faults.server_error_every == 0:
                code = 529 if provider == "anthropic" else 503 if number % 2 else 500
                await self._fail(send, dialect, code, "temporarily overloaded", "server_error", provider, req.model,
                                 headers, now_dt, digest, key)
                return
            scope_key = (_fingerprint(key), req.model)
            wait = engine.rate_limited(scope_key, _prompt_estimate(req), now_dt.timestamp())
            if wait is not None:
                await self._fail(send, dialect, 429, "rate limit reached", "rate_limit_error", provider, req.model,
                                 headers, now_dt, digest, key, retry_after=wait)
                return
            answer = engine.answer(req, persona, scope_key, note.call_id, now_dt.timestamp())
            invoice = self._bill(provider, req.model, answer, now_dt)
            reported = invoice.amount if invoice is not None and invoice.currency == "USD" else None
            usage = None if faults.missing_usage_every and number % faults.missing_usage_every == 0 else dialect.usage(answer, reported)
            rid = hashlib.sha1(f"{number}{digest}".encode()).hexdigest()[:24]
            if stream:
                truncate = bool(faults.truncated_stream_every and number % faults.truncated_stream_every == 0)
                payload = b"".join(dialect.stream(req, answer, usage, rid, truncate))
                ctype = "text/event-stream"
            elif faults.malformed_every and number % faults.malformed_every == 0:
                payload, ctype = b'{"id": "' + rid.encode() + b'", "choices": [{"message": ', "application/json"
            else:
                payload, ctype = orjson.dumps(dialect.response(req, answer, usage, rid)), "application/json"
            # The answer is computed on arrival (as a provider reads the prompt first); the latency is served after
            # it, so a burst of replies due at the same moment leaves without waiting for each other's work.
            delay = engine.config.latency_ms + (faults.slow_ms if faults.slow_every and number % faults.slow_every == 0 else 0)
            if delay:
                await asyncio.sleep(delay / 1000)
            engine.ledger.add(note.entry(200, billed=True, replay=False, usage=usage, invoice=invoice))
            if idem:
                engine.replies[idem] = (200, payload, ctype)
            await _send(send, 200, payload, ctype)
        finally:
            if idem:
                self._land(idem)

    async def _reply_of(self, idem: str) -> tuple[int, bytes, str] | None:
        """The stored reply of an idempotency key, waiting while a request with that key is being served.

        A retry that arrives while the first request with its key is still being served waits for it and gets
        its reply, billed once (the behaviour https://docs.argil.ai/v2/platform/idempotency documents for
        concurrent keys; the IETF draft https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-idempotency-key-header
        also allows a 409 instead). A first request that ended without a 200 stored nothing: the retry is new.
        """
        while (flight := self._inflight.get(idem)) is not None:
            await asyncio.shield(flight)
        return self.engine.replies.get(idem)

    def _land(self, idem: str) -> None:
        flight = self._inflight.pop(idem, None)
        if flight is not None and not flight.done():
            flight.set_result(None)


    def _bill(self, provider: str, model: str, answer: Answer, now: Any) -> Invoice | None:
        c = answer.cache
        tokens = {"input": answer.prompt_tokens - c.read - c.write_5m - c.write_1h, "cache_read": c.read,
                  "cache_write_5m": c.write_5m, "cache_write_1h": c.write_1h, "output": answer.output_tokens}
        return self.biller.bill(provider, model, now, tokens, self.engine.config.billing_lag_hours)

    async def _fail(self, send: Any, dialect: Dialect, status: int, message: str, kind: str, provider: str,
                    model: str, headers: dict[str, str], now: Any, digest: str, key: str,
                    retry_after: float | None = None) -> None:
        note = _Note(provider, model, headers.get("x-costbench-call-id"), now.isoformat(), digest, _fingerprint(key))
        self.engine.ledger.add(note.entry(status, billed=False, replay=False, usage=None))
        extra = [(b"retry-after", str(math.ceil(retry_after)).encode())] if retry_after is not None else []
        await _send(send, status, orjson.dumps(dialect.error(status, message, kind)), extra_headers=extra)


class _Note:
    """The ledger facts of one request, before its outcome is known."""

    def __init__(self, provider: str, model: str, call_id: str | None, at: str, digest: str, key_fp: str) -> None:
        self.provider, self.model, self.call_id, self.at, self.digest, self.key_fp = (
            provider, model, call_id, at, digest, key_fp)

    def entry(self, status: int, *, billed: bool, replay: bool, usage: dict[str, Any] | None,
              invoice: Invoice | None = None) -> LedgerEntry:
        if invoice is None:
            return LedgerEntry(self.call_id, self.provider, self.model, self.at, status, billed, replay, usage,
                               self.digest, self.key_fp)
        return LedgerEntry(self.call_id, self.provider, self.model, self.at, status, billed, replay, usage,
                           self.digest, self.key_fp, str(invoice.amount), invoice.currency, invoice.price_from)


def _prompt_estimate(req: ChatRequest) -> int:
    return sum(len(m["content"]) for m in req.messages) // 4 + req.max_tokens


def _api_key(headers: dict[str, str], scope: dict[str, Any]) -> str:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    query = scope.get("query_string", b"").decode()
    from_query = next((p[4:] for p in query.split("&") if p.startswith("key=")), "")
    return headers.get("x-api-key") or headers.get("x-goog-api-key") or from_query


@functools.lru_cache(maxsize=256)
def _fingerprint(key: str) -> str:  # asked twice per request, for a handful of keys
    return hashlib.sha256(key.encode()).hexdigest()[:12] if key else "-"


async def _read(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Any, status: int, payload: bytes, ctype: str = "application/json",
                extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(payload)).encode()),
               *(extra_headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
