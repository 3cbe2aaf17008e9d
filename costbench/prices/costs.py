"""The cost engine: pure functions over Decimal, no I/O.

Cost = Σ tokens × rate per usage field, at the price entry in force at the call's time, in the
time-of-day window that contains it, at the prompt tier the request reaches (a cliff: the whole
request is billed at the tier), plus the per-request fee, times the batch multiplier when batched.
No rounding: providers bill linearly per token (DeepSeek "expense = number of tokens × price";
xAI ticks are 1e-10 USD; PROVIDER-BILLING.md §9). Amounts are quantized only for display.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from costbench.prices.fx import FxTable
from costbench.prices.book import FIELDS, PriceEntry, Rates
from costbench.usage import Usage

MTOK = Decimal(1_000_000)
_USAGE_ATTRS = tuple((f, f"{f}_tokens") for f in FIELDS)
"""Each priced field with its Usage attribute (built once: this runs for every call)."""


@dataclass(frozen=True)
class Cost:
    """What one call cost, per usage field, in the entry's currency and in USD."""

    currency: str
    breakdown: dict[str, Decimal]
    """Native-currency cost per usage field, plus ``request_fee``."""
    total: Decimal
    fx_rate: Decimal
    total_usd: Decimal
    entry_id: str
    tier: str | None
    window: str | None


@dataclass(frozen=True)
class Reconciliation:
    """Computed vs provider-reported cost (USD)."""

    computed_usd: Decimal
    reported_usd: Decimal
    delta_usd: Decimal
    flagged: bool


def _tier(entry: PriceEntry, usage: Usage) -> tuple[Rates, str | None]:
    chosen: tuple[Rates, str | None] = (entry.rates, None)
    for tier in sorted(entry.tiers, key=lambda t: t.above_input_tokens):
        count = usage.total_input_tokens if tier.counter == "total_input" else usage.total_input_tokens - usage.cache_write_5m_tokens - usage.cache_write_1h_tokens
        over = count >= tier.above_input_tokens if tier.inclusive else count > tier.above_input_tokens
        if over:
            chosen = (tier.rates, f"{'≥' if tier.inclusive else '>'}{tier.above_input_tokens}")
    return chosen


def rates_at(entry: PriceEntry, usage: Usage, at: datetime) -> tuple[Mapping[str, Decimal], str | None, str | None]:
    """The per-field rates that apply to this usage at this time: window first, then tier."""
    window = next((w for w in entry.windows if w.contains(at)), None)
    if window is not None:
        return window.rates.per_field(), None, window.name
    rates, tier = _tier(entry, usage)
    return rates.per_field(), tier, None


def cost(usage: Usage, entry: PriceEntry, at: datetime, fx: FxTable, *, batch: bool = False) -> Cost:
    """The exact cost of one call."""
    rates, tier, window = rates_at(entry, usage, at)
    breakdown = {f: getattr(usage, attr) * rates[f] / MTOK for f, attr in _USAGE_ATTRS}
    breakdown["request_fee"] = entry.request_fee
    if batch:
        breakdown = {k: v * entry.batch_multiplier for k, v in breakdown.items()}
    total = sum(breakdown.values(), Decimal(0))
    fx_rate = fx.rate(entry.currency, at)
    return Cost(entry.currency, breakdown, total, fx_rate, total * fx_rate, entry.entry_id, tier, window)


def reconcile(computed: Cost, reported_usd: Decimal | None, tolerance_usd: Decimal) -> Reconciliation | None:
    """Compare with the provider's own figure (e.g. OpenRouter ``usage.cost``); None when it sent none."""
    if reported_usd is None:
        return None
    delta = reported_usd - computed.total_usd
    return Reconciliation(computed.total_usd, reported_usd, delta, abs(delta) > tolerance_usd)
