"""The emulated prompt cache, following each provider's rules.

A prompt is a list of blocks (messages) with token counts. Automatic caches (OpenAI, DeepSeek,
Gemini implicit, xAI, Mistral) remember every block-boundary prefix of every prompt they served and
count a hit as the longest remembered prefix, floored to the provider's unit (OpenAI: 128-token
increments once the prompt reaches 1,024; DeepSeek: 64-token units), if it reaches the minimum.
Explicit caches (Anthropic) only remember prefixes ending at a ``cache_control`` breakpoint: the
longest remembered breakpoint prefix is read; the rest up to the last breakpoint is written with
that breakpoint's TTL (5 min or 1 h). Below the minimum nothing is cached. Times are emulated.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from costbench.emulator.config import CacheRules


@dataclass(frozen=True)
class Block:
    """One cacheable unit of a prompt."""

    text: str
    tokens: int
    breakpoint_ttl_s: int | None = None
    """For explicit caches: a cache_control breakpoint after this block, with its TTL."""


@dataclass(frozen=True)
class CacheResult:
    """Tokens read from and written to the cache by one request."""

    read: int = 0
    write_5m: int = 0
    write_1h: int = 0


class PromptCache:
    """Prefix hashes → expiry (emulated seconds), per (key fingerprint, model)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def lookup(self, scope: tuple[str, str], blocks: list[Block], rules: CacheRules, now: float) -> CacheResult:
        """Serve one prompt: count the hit, then remember what this request cached."""
        prefixes = _prefixes(blocks)
        with self._lock:
            if rules.mode == "explicit":
                return self._explicit(scope, blocks, prefixes, rules, now)
            return self._automatic(scope, prefixes, rules, now)

    def _alive(self, scope: tuple[str, str], digest: str, now: float) -> bool:
        return self._entries.get((*scope, digest), -1.0) > now

    def _automatic(self, scope: tuple[str, str], prefixes: list[tuple[str, int]], rules: CacheRules,
                   now: float) -> CacheResult:
        total = prefixes[-1][1] if prefixes else 0
        hit = max((tokens for digest, tokens in prefixes if self._alive(scope, digest, now)), default=0)
        hit = hit // rules.unit_tokens * rules.unit_tokens
        if total >= rules.min_tokens:
            for digest, _ in prefixes:
                self._entries[(*scope, digest)] = now + rules.ttl_s
        return CacheResult(read=hit if hit >= rules.min_tokens else 0)

    def _explicit(self, scope: tuple[str, str], blocks: list[Block], prefixes: list[tuple[str, int]],
                  rules: CacheRules, now: float) -> CacheResult:
        marks = [i for i, b in enumerate(blocks) if b.breakpoint_ttl_s is not None]
        if not marks:
            return CacheResult()
        # A breakpoint also finds prefixes cached at earlier block boundaries (Anthropic looks back up
        # to 20 blocks), which is what makes a growing conversation read its previous turn.
        last = marks[-1]
        read = max((prefixes[i][1] for i in range(max(0, last - 20), last + 1)
                    if prefixes[i][1] >= rules.min_tokens and self._alive(scope, prefixes[i][0], now)), default=0)
        write_5m = write_1h = 0
        written_upto = read
        for i in marks:
            digest, tokens = prefixes[i]
            ttl = blocks[i].breakpoint_ttl_s or rules.ttl_s
            if tokens < rules.min_tokens:
                continue
            if tokens > written_upto:
                if ttl >= 3600:
                    write_1h += tokens - written_upto
                else:
                    write_5m += tokens - written_upto
                written_upto = tokens
            self._entries[(*scope, digest)] = max(self._entries.get((*scope, digest), 0.0), now + ttl)
        return CacheResult(read=read, write_5m=write_5m, write_1h=write_1h)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


def _prefixes(blocks: list[Block]) -> list[tuple[str, int]]:
    """(hash of blocks[:i+1], cumulative tokens) for each block boundary."""
    out = []
    digest = hashlib.sha1()
    tokens = 0
    for block in blocks:
        digest.update(block.text.encode() + b"\x1e")
        tokens += block.tokens
        out.append((digest.copy().hexdigest(), tokens))
    return out
