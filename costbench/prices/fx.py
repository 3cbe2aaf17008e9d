"""Dated foreign-exchange rates to USD, shipped as data (``costbench/prices/fx.yml``) and overridable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from costbench.errors import PriceBookError
from costbench.prices.book import PRICES_DIR, read_yaml


class FxRate(BaseModel):
    """One dated rate: 1 unit of ``currency`` = ``usd`` US dollars from ``since``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    currency: str
    since: date
    """First day the rate is KNOWN (a monthly average: the 1st of the next month): no look-ahead."""
    usd: Decimal
    source: str
    basis: str = ""
    """What the figure is, e.g. "2025-07 average"."""


@dataclass
class FxTable:
    """Rates by currency, sorted by date."""

    rates: dict[str, list[FxRate]]

    def in_force(self, currency: str, on: date | datetime) -> FxRate | None:
        """The rate record in force on ``on`` (None for USD)."""
        if currency == "USD":
            return None
        day = on.date() if isinstance(on, datetime) else on
        found = [r for r in self.rates.get(currency, []) if r.since <= day]
        if not found:
            raise PriceBookError(f"costbench/prices/fx.yml: no {currency}→USD rate on or before {day}; add one")
        return found[-1]

    def rate(self, currency: str, on: date | datetime) -> Decimal:
        """USD per unit of ``currency`` on ``on`` (the latest rate known on or before it)."""
        record = self.in_force(currency, on)
        return Decimal(1) if record is None else record.usd


def load_fx(path: Path | None = None) -> FxTable:
    """Load the FX table (default: the packaged ``prices/fx.yml``)."""
    source = path or PRICES_DIR / "fx.yml"
    data = read_yaml(source)
    try:
        rates = [FxRate.model_validate(r) for r in (data or {}).get("rates", [])]
    except ValidationError as exc:
        err = exc.errors()[0]
        raise PriceBookError(f"{source}: rates: field {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    table: dict[str, list[FxRate]] = {}
    for rate in sorted(rates, key=lambda r: r.since):
        table.setdefault(rate.currency, []).append(rate)
    return FxTable(table)
