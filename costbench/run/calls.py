"""One provider call over HTTP: reservation, intent log, send with retries, parse, outcome.

``ProviderClient`` holds one ``httpx2.AsyncClient`` per provider (httpx2 is httpx's maintained
continuation with the same API; its transport is aiohttp, see :mod:`costbench.run.transport`), the
provider's concurrency semaphore and rate limiter. The emulator is never started here: the CLI or the
pipeline starts it and passes its URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import orjson

from costbench.run import journal
from costbench.run.budget import Budget
from costbench.catalog.tasks import Task
from costbench.config import Config, ModelRef, Provider, api_key
from costbench.errors import ConfigError, ProviderError, UsageError
from costbench.providers import get_adapter
from costbench.run.plan import Attempt, Part
from costbench.providers.base import Adapter, Completion, HttpRequest
from costbench.run.ratelimit import RateLimiter
from costbench.run.transport import ResponseTooLarge, UnsafeHeader, provider_client
from costbench.secrets import known_keys, redact

if TYPE_CHECKING:
    from costbench.prices.pricing import Pricer

# Where each dialect lives on the emulator: {emulator}/<prefix><the real API's base path>.
EMULATOR_PATHS = {
    "openai_chat": "/openai/v1",
    "openai_responses": "/openai/v1",
    "anthropic": "/anthropic/v1",
    "gemini": "/google/v1beta",
    "deepseek": "/deepseek",
    "mistral": "/mistral/v1",
    "xai": "/xai/v1",
    "openrouter": "/openrouter/api/v1",
}


@dataclass
class CallContext:
    """Run-wide state every call needs."""

    run_id: str
    run_at: datetime
    started: float
    budget: Budget
    shard: str
    cfg: Config
    emulated_clock: bool = False

    def now(self) -> datetime:
        """The call's timestamp: the run's time plus the wall time elapsed since it started."""
        return self.run_at + timedelta(seconds=time.monotonic() - self.started)


@dataclass
class CallOutcome:
    """The result of one call after retries."""

    call_id: str
    provider: Provider
    provider_name: str
    request: HttpRequest
    requested_at: datetime
    attempts: int
    latency_ms: int
    completion: Completion | None
    error: ProviderError | None
    cost_usd: Decimal
    raw_text: str | None = None
    """The response body exactly as received (a stream: a JSON array of its event payloads)."""
    body: bytes | None = None
    """The request body as sent."""
    keys: tuple[str, ...] = ()
    """Secrets to redact from anything this outcome writes."""
    status: str = "ok"
    """ok | error (an HTTP error: not billed) | usage_unreadable (a 200 whose usage cannot be read) |
    timed_out (sent, never answered: may have been billed). The last two are charged at worst case."""
    estimate: dict[str, Any] | None = None
    """For a call charged at its worst case: the bound (prompt tokens, max output tokens) and why."""

    def record(self, att: Attempt, turn: int, last: int) -> dict[str, Any]:
        """The landing-journal line of this call."""
        comp = self.completion
        return {
            "call_id": self.call_id, "run_id": "", "shard": "",
            "provider": att.model.provider, "model": att.model.model, "dialect": self.provider.dialect,
            "task_id": att.task.id, "task_version": att.task.version, "task_category": att.task.category,
            "case_id": att.case.id, "repeat_index": att.repeat, "turn_index": turn, "is_final_turn": turn == last,
            "requested_at": self.requested_at.isoformat(), "latency_ms": self.latency_ms, "attempts": self.attempts,
            "status": self.status, "charged_usd": str(self.cost_usd), "cost_estimate": self.estimate,
            "http_status": self.error.status if self.error else 200,
            "error": redact(str(self.error), self.keys) if self.error else None,
            "output_text": comp.text if comp else None,
            "usage": comp.usage.to_dict() if comp else None,
            "raw_usage": comp.raw_usage if comp else None,
            "raw_response_text": self.raw_text if comp else redact(self.raw_text, self.keys),
            "request": request_summary(self.request, self.body),
            "simulated": self.provider.emulated,
        }


def encode_body(request: HttpRequest) -> bytes:
    """The exact bytes sent as the request body (compact UTF-8 JSON, keys in the adapter's order)."""
    return orjson.dumps(request.json)


def request_summary(request: HttpRequest, body: bytes | None = None) -> dict[str, Any]:
    """What is stored of a request: its parameters and a SHA-256 of its body, not the (large) prompt itself.

    The body is rebuilt exactly from the catalog version, the case and the landed earlier turns
    (:func:`encode_body` of the adapter's request); the digest of the bytes sent proves which body it was.
    """
    body = encode_body(request) if body is None else body
    params = {k: v for k, v in request.json.items() if isinstance(v, (str, int, float, bool)) or v is None}
    return {"method": request.method, "path": request.path, "params": params,
            "body_sha256": hashlib.sha256(body).hexdigest(), "body_bytes": len(body)}


def prompt_upper_bound(messages: list[dict[str, str]]) -> int:
    """An upper bound of the prompt's tokens: a BPE token is at least one UTF-8 byte."""
    return sum(len(m["content"].encode()) + 8 for m in messages) + 16


class ProviderClient:
    """One provider: adapter, HTTP client, concurrency, rate limits, retries."""

    def __init__(self, name: str, provider: Provider, adapter: Adapter, http: httpx2.AsyncClient,
                 pricer: Pricer, intents: journal.JournalWriter, max_retries: int, keys: tuple[str, ...],
                 part: Part | None = None, max_retry_after_s: float = 120.0) -> None:
        self.name, self.provider, self.adapter, self.http, self.keys = name, provider, adapter, http, keys
        self.pricer, self.intents, self.max_retries = pricer, intents, max_retries
        self.max_retry_after_s = max_retry_after_s
        part = part or Part(0, 1)  # a runner process gets its share of every limit
        self.sem = asyncio.Semaphore(part.concurrency(provider.concurrency))
        self.staged = asyncio.Semaphore(2 * part.concurrency(provider.concurrency))
        """Calls between their intent and their landing: twice the connections, so a freed connection sends
        a call whose reservation and intent are already done (the intent's fsync is off the critical path),
        and a crash leaves at most 2 × concurrency calls in doubt."""
        self.limiter = RateLimiter(_under(part.rate(provider.rpm)), _under(part.rate(provider.tpm)))
        self.saw_429 = 0
        self._urls: dict[str, httpx2.URL] = {}

    def url(self, path: str) -> httpx2.URL:
        """The absolute URL of an API path, parsed once (httpx2 spends ~0.1 ms merging a relative one)."""
        found = self._urls.get(path)
        if found is None:
            found = self._urls[path] = httpx2.URL(str(self.http.base_url) + path.lstrip("/"))
        return found

    async def call(self, ctx: CallContext, model: ModelRef, task: Task, cid: str,
                   messages: list[dict[str, str]], *, resend: bool = False) -> CallOutcome:
        """Reserve, log the intent, send (with retries) and price one call.

        Call it inside ``async with client.staged`` and land the outcome before leaving (see :attr:`staged`).
        """
        request = self.adapter.build_request(model.model, messages, task.max_output_tokens,
                                             cache_breakpoints=task.cache_breakpoints, cache_ttl=task.cache_ttl,
                                             stream=self.provider.stream)
        upper = prompt_upper_bound(messages)
        payload = encode_body(request)  # serialized once: these bytes are sent and their digest is kept
        at = ctx.now()
        worst = self.pricer.worst_case_usd(model.provider, model.model, at, upper, task.max_output_tokens)
        if resend and self.provider.idempotent:  # same key: the in-doubt first send and this one are one bill
            reservation = await ctx.budget.reserve_resend(cid, worst)
        else:
            reservation = await ctx.budget.reserve_when_possible(worst)
        await self.intents.append({"call_id": cid, "reserved_usd": str(worst), "at": at.isoformat(), "resend": resend})
        async with self.sem:  # held through retries and backoff: a provider answering 429/5xx gets fewer calls
            started = time.monotonic()
            completion, error, attempts, body = await self._send_with_retries(ctx, request, payload, cid, upper)
        if completion is None and error is None:  # a 200 body, parsed once the connection is free again
            completion, error, body = self._parse(body or "")
        status, cost, estimate = self._charge(model, at, completion, error, worst, upper, task.max_output_tokens)
        ctx.budget.settle(reservation, cost)
        latency = int((time.monotonic() - started) * 1000)
        return CallOutcome(cid, self.provider, self.name, request, at, attempts, latency, completion, error, cost,
                           raw_text=body, body=payload, keys=self.keys, status=status, estimate=estimate)

    def _charge(self, model: ModelRef, at: datetime, completion: Completion | None, error: ProviderError | None,
                worst: Decimal, prompt_max: int, output_max: int) -> tuple[str, Decimal, dict[str, Any] | None]:
        """The call's status and what the budget charges it: its usage priced; a 200 whose usage cannot be
        read, or a request that may have been answered, at its worst case (never $0); an HTTP error at 0."""
        if completion is not None:
            return "ok", self.pricer.cost_usd(model.provider, model.model, at, completion.usage), None
        if error is not None and (error.status == 200 or isinstance(error, InDoubt)):
            status = "usage_unreadable" if error.status == 200 else "timed_out"
            why = ("the provider answered 200 (billed) but its usage cannot be read" if error.status == 200 else
                   "the request was sent and never answered: the provider may have billed it")
            bound = {"prompt_tokens_max": prompt_max, "output_tokens_max": output_max, "usd": str(worst),
                     "reason": f"{why}; charged at worst case ({prompt_max} prompt + {output_max} output tokens)"}
            return status, worst, bound
        return "error", Decimal(0), None

    async def _send_with_retries(self, ctx: CallContext, request: HttpRequest, payload: bytes, cid: str,
                                 tokens: int) -> tuple[Completion | None, ProviderError | None, int, str | None]:
        attempt = 0
        doubtful: InDoubt | None = None  # an earlier attempt that may have been answered (same key: billed once)
        while True:
            attempt += 1
            await self.limiter.acquire(tokens)
            completion, error, body = await self._send_once(ctx, request, payload, cid)
            if isinstance(error, InDoubt) and not self.provider.idempotent:
                return completion, error, attempt, body  # a resend could be billed again: charged at worst case
            if error is None:
                return completion, None, attempt, body
            if not error.retryable or attempt > self.max_retries:  # an earlier in-doubt send outweighs a later error
                return completion, doubtful if doubtful and error.status != 200 else error, attempt, body
            if error.retry_after is not None and error.retry_after > self.max_retry_after_s:
                return None, doubtful or self._too_long(error), attempt, body
            doubtful = error if isinstance(error, InDoubt) else doubtful
            if error.status == 429:
                self.saw_429 += 1
                self.limiter.penalize(error.retry_after or 1.0)
            await asyncio.sleep(backoff_s(attempt, error.retry_after))

    def _too_long(self, error: ProviderError) -> ProviderError:
        """A provider asking to wait longer than ``[run] max_retry_after_s``: the call fails, nobody sleeps."""
        return ProviderError(f"{error}; the provider asked to retry after {error.retry_after:.0f} s, longer than "
                             f"[run] max_retry_after_s = {self.max_retry_after_s:g}: not retried",
                             retryable=False, status=error.status, retry_after=error.retry_after)

    async def _send_once(self, ctx: CallContext, request: HttpRequest, payload: bytes,
                         cid: str) -> tuple[Completion | None, ProviderError | None, str | None]:
        headers = {"Content-Type": "application/json", "X-Costbench-Call-Id": cid, "Idempotency-Key": cid,
                   **request.headers}
        if self.provider.emulated:
            headers["X-Emulator-Clock"] = ctx.now().astimezone(UTC).isoformat()
        try:
            if request.stream:
                return await self._stream(request, payload, headers)
            resp = await self.http.request(request.method, self.url(request.path), content=payload, headers=headers)
        except UnsafeHeader as exc:  # refused before sending: the same request would fail the same way
            return None, ProviderError(f"{self.name}: {exc}", retryable=False), None
        except ResponseTooLarge as exc:  # an answer came (and may be billed) but is not read: in doubt, not resent
            return None, InDoubt(f"{self.name}: {exc} (in doubt: may have been billed)", retryable=False), None
        except (httpx2.ConnectTimeout, httpx2.PoolTimeout, httpx2.ConnectError, httpx2.UnsupportedProtocol) as exc:
            return None, ProviderError(f"{self.name}: connection failed: {type(exc).__name__}", retryable=True), None
        except httpx2.TimeoutException:
            return None, InDoubt(f"{self.name}: timed out after sending (in doubt: may have been billed)"), None
        except httpx2.TransportError as exc:
            return None, InDoubt(f"{self.name}: connection lost after sending: {type(exc).__name__} (in doubt)"), None
        if resp.status_code != 200:
            return None, self.adapter.classify_error(resp.status_code, resp.text, resp.headers), resp.text
        # JSON is UTF-8 (RFC 8259 §8.1): decoded directly, without httpx2's charset detection. Parsed by
        # the caller after the connection slot is released (neither completion nor error yet).
        return None, None, resp.content.decode("utf-8", errors="replace")

    def _parse(self, text: str) -> tuple[Completion | None, ProviderError | None, str | None]:
        # A 200 with a bad body was probably billed: never retried, landed as an error with the body kept.
        try:
            body = json.loads(text, parse_float=Decimal)
            return self.adapter.parse(body), None, text
        except (json.JSONDecodeError, UsageError, KeyError, TypeError, ValueError) as exc:
            return None, ProviderError(f"{self.name}: unusable response: {_short(exc)}", retryable=False, status=200), text

    async def _stream(self, request: HttpRequest, payload: bytes,
                      headers: dict[str, str]) -> tuple[Completion | None, ProviderError | None, str | None]:
        events: list[dict[str, Any]] = []
        texts: list[str] = []
        async with self.http.stream(request.method, self.url(request.path), content=payload, headers=headers) as resp:
            if resp.status_code != 200:
                text = (await resp.aread()).decode(errors="replace")
                return None, self.adapter.classify_error(resp.status_code, text, resp.headers), text
            try:
                async for line in resp.aiter_lines():
                    payload = line[5:].strip() if line.startswith("data:") else ""
                    if payload and payload != "[DONE]":
                        texts.append(payload)
                        events.append(json.loads(payload, parse_float=Decimal))
            except ResponseTooLarge as exc:
                return None, ProviderError(f"{self.name}: {exc}", retryable=False, status=200), "[" + ",".join(texts) + "]"
            except (json.JSONDecodeError, httpx2.TransportError) as exc:
                return None, ProviderError(f"{self.name}: broken stream: {_short(exc)}", retryable=False, status=200), "[" + ",".join(texts) + "]"
        raw = "[" + ",".join(texts) + "]"
        try:
            return self.adapter.parse_stream(events), None, raw
        except (UsageError, KeyError, TypeError, ValueError) as exc:
            return None, ProviderError(f"{self.name}: unusable stream: {_short(exc)}", retryable=False, status=200), raw


class InDoubt(ProviderError):
    """The request was (or may have been) sent and no answer came: the provider may have billed it."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message, retryable=retryable)


RATE_MARGIN = 0.98
"""Limits are paced 2 % under the configured rate: a send leaves up to a few hundred ms after its limiter
slot on a busy loop, and without a margin two sends 60 s apart by the slots can arrive 59.9 s apart, the
601st request of a 600 RPM minute (bench/runner_overhead.py --rpm saw one such 429 in 1,000 calls)."""


def _under(rate: float | None) -> float | None:
    return None if rate is None else rate * RATE_MARGIN


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def backoff_s(attempt: int, retry_after: float | None, base: float = 0.25, cap: float = 20.0) -> float:
    """Exponential backoff with full jitter, never shorter than the provider's Retry-After."""
    delay = random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
    return max(delay, retry_after or 0.0)


@asynccontextmanager
async def open_clients(cfg: Config, providers: list[str], pricer: Pricer, journal_path: Path,
                       emulator_url: str | None = None,
                       syncer: journal.Syncer | None = None,
                       part: Part | None = None) -> AsyncIterator[dict[str, ProviderClient]]:
    """One client per provider; emulated providers talk to ``emulator_url`` (or ``[emulator] url``)."""
    async with AsyncExitStack() as stack:
        url = emulator_url or cfg.emulator.url
        if url is None and needs_emulator(cfg, providers):
            raise ConfigError(f"{cfg.source}: an emulated provider needs a running emulator: use `costbench run`, "
                              f"which starts one, or set [emulator] url")
        intents = journal.JournalWriter(journal_path.with_name(journal_path.stem + ".sent.jsonl"), syncer)
        stack.callback(intents.close)
        clients = {}
        for name in providers:
            clients[name] = await stack.enter_async_context(_client(cfg, name, url, pricer, intents, part))
        yield clients


@asynccontextmanager
async def _client(cfg: Config, name: str, emulator_url: str | None, pricer: Pricer,
                  intents: journal.JournalWriter, part: Part | None) -> AsyncIterator[ProviderClient]:
    provider = cfg.provider(name)
    part = part or Part(0, 1)
    adapter = get_adapter(provider.dialect)
    base = emulator_url + EMULATOR_PATHS[provider.dialect] if provider.emulated and emulator_url else provider.base_url
    key = api_key(cfg, name, adapter.api_key_env)
    env_vars = [p.api_key_env or get_adapter(p.dialect).api_key_env for p in cfg.providers.values()]
    keys = tuple(known_keys(env_vars))
    async with provider_client(base.rstrip("/") + "/", headers=adapter.auth_headers(key or ""),
                               timeout_s=cfg.run.timeout_s, connections=part.concurrency(provider.concurrency)) as http:
        yield ProviderClient(name, provider, adapter, http, pricer, intents, cfg.run.max_retries, keys, part,
                             cfg.run.max_retry_after_s)


def needs_emulator(cfg: Config, providers: list[str]) -> bool:
    """True when one of ``providers`` is the emulator and none is running at a configured URL."""
    return cfg.emulator.url is None and any(cfg.provider(p).emulated for p in providers)
