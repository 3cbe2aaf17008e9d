"""The emulator's brain, independent of dialects: answers, token counts, cache, limits, faults, ledger.

Answers: the request's conversation is matched to a catalog case (``Catalog.find_case``); whether the
final answer is right is decided deterministically from hash(seed, model, call id, task, case) against
the persona's success rate for the task's category. A right answer is the case's reference; a wrong
one is a hedge that fails every grader. Output tokens = the visible text's tokens × the persona's
verbosity habit + its hidden reasoning tokens, capped by ``max_tokens``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from costbench.catalog.tasks import Catalog, load_catalog
from costbench.emulator.cache import Block, CacheResult, PromptCache
from costbench.emulator.config import EmulatorConfig, Limits, Persona, load_personas
from costbench.emulator.ledger import Ledger
from costbench.emulator.tokenizer import MESSAGE_OVERHEAD, count

WRONG_ANSWER = "I am not sure about this one, sorry."
CONTINUE = "OK, continuing."


@dataclass(frozen=True)
class ChatRequest:
    """A request in dialect-neutral form."""

    provider: str
    model: str
    messages: list[dict[str, str]]
    max_tokens: int
    stream: bool = False
    breakpoints: dict[int, int] = field(default_factory=dict)
    """Explicit cache breakpoints: message index → TTL seconds."""


@dataclass(frozen=True)
class Answer:
    """What the persona says and what it costs in tokens."""

    text: str
    prompt_tokens: int
    cache: CacheResult
    visible_tokens: int
    reasoning_tokens: int
    finish_reason: str

    @property
    def output_tokens(self) -> int:
        """All billed output, reasoning included."""
        return self.visible_tokens + self.reasoning_tokens


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class Engine:
    """Shared state of one emulator."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.personas: dict[str, Persona] = load_personas(config.personas_file)
        self.catalog: Catalog | None = _catalog(config)
        self.cache = PromptCache()
        self.ledger = Ledger()
        self.replies: dict[str, tuple[int, bytes, str]] = {}
        """Idempotency-Key → (status, body, content type) of the first successful answer."""
        self._windows: dict[tuple[str, str], deque[tuple[float, int]]] = {}
        self._window_tokens: dict[tuple[str, str], int] = {}
        self._counter = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()

    def persona(self, model: str) -> Persona | None:
        """The persona of ``model``."""
        return self.personas.get(model)

    def now(self, header: str | None) -> datetime:
        """The emulated time: the request's X-Emulator-Clock, else the configured clock, else real time."""
        if header:
            try:
                parsed = datetime.fromisoformat(header.replace("Z", "+00:00"))
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            except ValueError:
                pass
        if self.config.clock_start is not None:
            elapsed = (time.monotonic() - self._started) * self.config.clock_speed
            return self.config.clock_start.astimezone(UTC) + _seconds(elapsed)
        return datetime.now(UTC)

    def next_number(self) -> int:
        """A request counter (1-based) for every-Nth faults."""
        with self._lock:
            self._counter += 1
            return self._counter

    def rate_limited(self, scope: tuple[str, str], tokens: int, now: float) -> float | None:
        """Seconds to wait when this request would pass the RPM/TPM limits, else None (and count it)."""
        limits = self._limits(scope[1])
        if limits.rpm is None and limits.tpm is None:
            return None
        with self._lock:
            window = self._windows.setdefault(scope, deque())
            used = self._window_tokens.get(scope, 0)
            while window and window[0][0] <= now - 60:
                used -= window.popleft()[1]
            self._window_tokens[scope] = used  # a running sum: no O(window) rescan per request
            if (limits.rpm is not None and len(window) >= limits.rpm) or (
                    limits.tpm is not None and used + tokens > limits.tpm and window):
                return max(0.001, window[0][0] + 60 - now)
            window.append((now, tokens))
            self._window_tokens[scope] = used + tokens
            return None

    def _limits(self, model: str) -> Limits:
        overrides = self.config.rate_limits
        if overrides is not None:
            return overrides.get(model, Limits())
        persona = self.personas.get(model)
        return persona.limits if persona else Limits()

    def answer(self, req: ChatRequest, persona: Persona, scope: tuple[str, str], call_id: str | None,
               now: float) -> Answer:
        """The persona's answer to one request, with its token accounting."""
        blocks = [Block(m["role"] + m["content"], count(m["content"], persona.tokens_per_word) + MESSAGE_OVERHEAD,
                        req.breakpoints.get(i)) for i, m in enumerate(req.messages)]
        prompt = sum(b.tokens for b in blocks)
        cached = self.cache.lookup(scope, blocks, persona.cache, now)
        text = self._text(req, persona, call_id)
        visible = max(1, int(count(text, persona.tokens_per_word) * persona.verbosity + 0.5))
        low, high = persona.reasoning
        reasoning = low + int(_unit(self.config.seed, req.model, call_id, prompt, "r") * (high - low + 1)) if high else 0
        finish = "stop"
        if visible + reasoning > req.max_tokens:
            reasoning = max(0, req.max_tokens - visible)
            visible = min(visible, req.max_tokens - reasoning)
            finish = "length" if visible < count(text, persona.tokens_per_word) else "stop"
        return Answer(text, prompt, cached, visible, reasoning, finish)

    def _text(self, req: ChatRequest, persona: Persona, call_id: str | None) -> str:
        found = self.catalog.find_case(req.messages) if self.catalog else None
        if found is None:
            return f"This is the emulated answer of {req.model} to your message."
        task, case = found
        turn = sum(1 for m in req.messages if m["role"] == "assistant")
        if turn < len(task.turns):
            refs = case.turn_references
            return refs[turn] if turn < len(refs) else CONTINUE
        key = call_id or hashlib.sha256(repr(req.messages).encode()).hexdigest()
        right = _unit(self.config.seed, req.model, key, task.key, case.id) < persona.success_rate(task.category)
        return case.reference_text() if right else WRONG_ANSWER

    def configure(self, **settings: Any) -> None:
        """Change latency, faults, rate limits, clock or seed at run time."""
        data = self.config.model_dump()
        data.update(settings)
        self.config = EmulatorConfig.model_validate(data)
        with self._lock:
            self._windows.clear()
            self._window_tokens.clear()
            self._counter = 0


def _catalog(config: EmulatorConfig) -> Catalog | None:
    if config.catalog_dir is None or not config.catalog_dir.is_dir():
        return None
    return load_catalog(config.catalog_dir)


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)
