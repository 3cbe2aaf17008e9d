"""The emulator's request ledger and its own biller: what was received and what it invoiced.

Tests read the ledger to prove that no paid request was sent twice, and to reconcile costbench's computed
costs against an independent invoice. The biller prices calls from ``billing.yml`` alone (never from
costbench's price book or usage code), in the provider's currency, with the provider's rounding and a
configurable lag before a new price reaches the bill. Keys are never stored: only a fingerprint.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

BILLING_FILE = Path(__file__).resolve().parent / "billing.yml"
MTOK = Decimal(1_000_000)


class _Exact(yaml.SafeLoader):
    """YAML floats read as Decimal from their text."""


_Exact.add_constructor("tag:yaml.org,2002:float", lambda loader, node: Decimal(loader.construct_scalar(node)))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerMtok(_Strict):
    """Prices per million tokens; missing cache-write prices bill as input."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None = None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None


class TimeWindow(_Strict):
    """A time-of-day price (UTC); may wrap past midnight."""

    start: time
    end: time
    per_mtok: PerMtok

    def contains(self, at: datetime) -> bool:
        """Whether ``at`` (aware) falls in the window."""
        t = at.time()
        return self.start <= t < self.end if self.start <= self.end else (t >= self.start or t < self.end)


class BillingPrice(_Strict):
    """One dated price of one persona."""

    from_: datetime = Field(alias="from")
    currency: str | None = None
    """Overrides the provider's invoice currency from this price on (DeepSeek V4 is billed in USD)."""
    per_mtok: PerMtok
    windows: list[TimeWindow] = []
    lag_hours: float | None = Field(None, ge=0)


class ProviderBilling(_Strict):
    """Invoice currency and per-call rounding quantum (None = exact)."""

    currency: str
    quantum: Decimal | None = None


class BillingTable(_Strict):
    """The whole ``billing.yml``."""

    providers: dict[str, ProviderBilling]
    models: dict[str, list[BillingPrice]]


@dataclass(frozen=True)
class Invoice:
    """What one call was billed."""

    amount: Decimal
    currency: str
    price_from: str


@dataclass(frozen=True)
class Biller:
    """Prices billed calls from the emulator's own table."""

    table: BillingTable

    def bill(self, provider: str, model: str, at: datetime, tokens: dict[str, int], lag_hours: float = 0.0) -> Invoice | None:
        """The invoice of one call (``tokens``: input, cache_read, cache_write_5m, cache_write_1h, output);
        a price reaches the bill ``lag_hours`` after its ``from`` (an entry's own ``lag_hours`` wins)."""
        rules, history = self.table.providers.get(provider), self.table.models.get(model)
        # the last price (in the table's order) that has reached the bill; scanned newest first
        price = next((p for p in reversed(history or []) if p.from_ + timedelta(hours=_lag(p, lag_hours)) <= at), None)
        if rules is None or price is None:
            return None
        rates = next((w.per_mtok for w in price.windows if w.contains(at)), price.per_mtok)
        amount = sum((n * _rate(rates, name) for name, n in tokens.items()), Decimal(0)) / MTOK
        if rules.quantum is not None:
            amount = amount.quantize(rules.quantum, rounding=ROUND_HALF_EVEN)
        return Invoice(amount, price.currency or rules.currency, price.from_.isoformat())



def _lag(price: BillingPrice, default: float) -> float:
    return default if price.lag_hours is None else price.lag_hours


def _rate(rates: PerMtok, name: str) -> Decimal:
    value = getattr(rates, name)
    return rates.input if value is None else value


def load_billing(path: Path = BILLING_FILE) -> BillingTable:
    """The emulator's billing table."""
    return BillingTable.model_validate(yaml.load(path.read_text(encoding="utf-8"), Loader=_Exact))  # noqa: S506


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
    billed_amount: str | None = None
    """The invoice line, exact, in ``billed_currency`` (None: no billing price for this persona)."""
    billed_currency: str | None = None
    billed_price_from: str | None = None
    """``from`` of the billing price used (shows the lag after an announcement)."""

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
