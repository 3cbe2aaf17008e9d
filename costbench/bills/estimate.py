"""Totals-only bills (a console that shows one token count and one amount, e.g. Mistral's): an estimate with an
interval from the input/output mix costbench measured, and the split the reported figure implies.

The estimate prices ``total × (1 − s)`` tokens as uncached input and ``total × s`` as output at the model's
base list rates on the row's date, for the measured output share ``s`` (point: all measured calls of the named
categories pooled; interval: the lowest and highest share of any one task). Without a measured mix the
interval is all-input to all-output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import duckdb

from costbench.errors import PriceNotFound, UnknownModel
from costbench.prices.pricing import Pricer
from costbench.store.db import query

MTOK = Decimal(1_000_000)
PICO = Decimal("0.000000000001")
"""Money is stored as DECIMAL(38, 12): estimates are quantized to the same picodollar."""


@dataclass(frozen=True)
class Mix:
    """Output share of all tokens (0..1): point and interval, and where it came from."""

    point: Decimal | None
    low: Decimal
    high: Decimal
    source: str


def measured_mix(con: duckdb.DuckDBPyConnection, categories: list[str]) -> Mix:
    """The output share measured on the named task categories (or the all-input..all-output range)."""
    tasks = query(con, "bills/output_share_by_task", categories=categories) if categories else []
    if not tasks:
        why = f"no calls measured for categories {', '.join(categories)}" if categories else "no --category given"
        return Mix(None, Decimal(0), Decimal(1), f"{why}: interval is all-input to all-output")
    shares = [Decimal(t["output_tokens"]) / Decimal(t["input_tokens"] + t["output_tokens"]) for t in tasks]
    out = sum(Decimal(t["output_tokens"]) for t in tasks)
    total = sum(Decimal(t["input_tokens"] + t["output_tokens"]) for t in tasks)
    calls = sum(t["calls"] for t in tasks)
    return Mix(out / total, min(shares), max(shares),
               f"measured on {calls} calls of {len(tasks)} tasks in {', '.join(categories)}")


def rates_usd(pricer: Pricer, provider: str, model: str, at: datetime) -> tuple[Decimal, Decimal]:
    entry = pricer.book.price_for(provider, model, at)
    fx = pricer.fx.rate(entry.currency, at)
    return entry.rates.input_uncached * fx / MTOK, entry.rates.output * fx / MTOK


def cost_at_share(total: int, share: Decimal, rates: tuple[Decimal, Decimal]) -> Decimal:
    """USD for ``total`` tokens of which ``share`` are output (to the picodollar)."""
    return (total * ((1 - share) * rates[0] + share * rates[1])).quantize(PICO, ROUND_HALF_EVEN)


def implied_split(total: int, reported_usd: Decimal, rates: tuple[Decimal, Decimal]) -> dict[str, Any]:
    """The input/output split that makes the list prices give the reported figure (whole tokens, half-even)."""
    per_in, per_out = rates
    if per_out == per_in:
        return {"explained": False, "note": "input and output cost the same: the figure implies no split"}
    output = ((reported_usd - total * per_in) / (per_out - per_in)).quantize(Decimal(1), ROUND_HALF_EVEN)
    ok = 0 <= output <= total
    return {"input_tokens": int(total - output), "output_tokens": int(output), "explained": ok,
            "output_share": str((output / total).quantize(Decimal("0.0001"))) if total else None}


def estimate(pricer: Pricer, row: dict[str, Any], target: tuple[str, str], mix: Mix) -> dict[str, Any] | None:
    """The estimate of one totals-only row on ``target`` (None: no price for it at the row's date)."""
    try:
        rates = rates_usd(pricer, *target, row["occurred_at"])
    except (PriceNotFound, UnknownModel):
        return None
    point = mix.point if mix.point is not None else _implied_share(pricer, row)
    ends = sorted([cost_at_share(row["total_tokens"], mix.low, rates), cost_at_share(row["total_tokens"], mix.high, rates)])
    return {"estimate_usd": None if point is None else cost_at_share(row["total_tokens"], point, rates),
            "low_usd": ends[0], "high_usd": ends[1],
            "output_share": None if point is None else point.quantize(Decimal("0.000001"), ROUND_HALF_EVEN)}


def _implied_share(pricer: Pricer, row: dict[str, Any]) -> Decimal | None:
    if row.get("reported_usd") is None or row.get("provider") is None or not row["total_tokens"]:
        return None
    try:
        rates = rates_usd(pricer, row["provider"], row["model"], row["occurred_at"])
    except (PriceNotFound, UnknownModel):
        return None
    split = implied_split(row["total_tokens"], row["reported_usd"], rates)
    return Decimal(split["output_tokens"]) / row["total_tokens"] if split.get("explained") else None
