"""Client-side rate limits per provider: requests per minute and tokens per minute.

Requests are spaced evenly (one every 60/rpm seconds) instead of bursting, so a run under a limit
takes the minimum time the limit allows and never provokes a 429 after the first.
"""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """RPM spacing plus a TPM token bucket; ``None`` limits are off."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None) -> None:
        self.interval = 60.0 / rpm if rpm else 0.0
        self.tpm = tpm
        self._next = 0.0
        self._tokens = float(tpm or 0)
        self._refilled = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until one request of ``tokens`` tokens may be sent."""
        if not self.interval and not self.tpm:
            return
        async with self._lock:
            now = time.monotonic()
            wait = max(0.0, self._next - now)
            if self.tpm:
                wait = max(wait, self._tpm_wait(tokens, now))
            if wait:
                await asyncio.sleep(wait)
            self._next = max(now, self._next) + self.interval
            if self.tpm:
                self._tokens -= min(tokens, self.tpm)

    def _tpm_wait(self, tokens: int, now: float) -> float:
        assert self.tpm
        rate = self.tpm / 60.0
        self._tokens = min(float(self.tpm), self._tokens + (now - self._refilled) * rate)
        self._refilled = now
        need = min(tokens, self.tpm) - self._tokens
        return need / rate if need > 0 else 0.0

    def penalize(self, seconds: float) -> None:
        """A 429 said to wait: push the next send back by ``seconds``."""
        self._next = max(self._next, time.monotonic() + seconds)
