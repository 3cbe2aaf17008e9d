"""The emulator's request ledger: what was received and what would have been billed.

Tests read it to prove that no paid request was sent twice. Keys are never stored: only a
fingerprint (a short hash).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class LedgerEntry:
    """One request received."""

    call_id: str | None
    """The ``X-Costbench-Call-Id`` header, if sent."""
    provider: str
    model: str
    received_at: str
    """Emulated time, ISO-8601."""
    status: int
    billed: bool
    """True for a 200 that delivered usage (a replayed idempotent request is not billed again)."""
    replay: bool
    usage: dict[str, Any] | None
    request_sha256: str
    key_fingerprint: str
    billed_usd: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


@dataclass
class Ledger:
    """Thread-safe, append-only list of entries."""

    _entries: list[LedgerEntry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: LedgerEntry) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LedgerEntry]:
        """A snapshot of every entry, in arrival order."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._entries.clear()
