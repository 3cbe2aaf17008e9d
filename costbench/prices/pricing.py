"""Price calls with the price book: per-call costs for a run, worst-case reservations, re-pricing.

The maths lives in :mod:`costbench.prices.costs` (pure, Decimal); this module connects it to the store.
``costs`` rows are derived data: :func:`price_run` replaces a run's rows, so re-pricing after a
price-book change never re-runs anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from costbench.prices import costs
from costbench.prices.fx import FxTable, load_fx
from costbench.prices.book import PRICES_DIR, PriceBook, PriceEntry, load_pricebook
from costbench.store import rollup
from costbench.store.intervals import keep_intervals
from costbench.store.db import opened, rows, sql_text, transaction
from costbench.usage import TOKEN_FIELDS, Usage

RECONCILE_TOLERANCE_USD = Decimal("0.000001")
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


_LOADED: dict[tuple[tuple[str, int, int], ...], tuple[PriceBook, FxTable]] = {}


def _stamp(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    files = [f for p in paths for f in (sorted(p.rglob("*.yml")) if p.is_dir() else [p]) if f.exists()]
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files) + tuple((str(p), 0, 0) for p in paths)


@dataclass
class Pricer:
    """A loaded price book and FX table; ``price_as`` maps a provider (a gateway) to the one it is priced as."""

    book: PriceBook
    fx: FxTable
    price_as: dict[str, str] = field(default_factory=dict)
    _worst_rates: dict[tuple[str, date], tuple[Decimal, Decimal, Decimal]] = field(default_factory=dict, repr=False)
    _spans: dict[tuple[str, str], tuple[datetime, datetime, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, cfg: Any = None) -> Pricer:
        """The packaged price book (plus the config's ``[prices]`` books and ``price_as``) and the FX table;
        parsed again only when a price file changed."""
        user = list(cfg.prices.paths) if cfg is not None else []
        imported = [cfg.prices.imported] if cfg is not None else []
        stamp = _stamp([PRICES_DIR, *imported, *user])
        cached = _LOADED.get(stamp)
        if cached is None:  # the YAML parse takes 20-40 ms: once per process, not once per night of a replay
            _LOADED.clear()
            book = load_pricebook(PRICES_DIR, overrides=user, imported=imported)
            fx_text = (PRICES_DIR / "fx.yml").read_bytes()  # the version covers the FX table too
            book.version = hashlib.sha256(book.version.encode() + b"\0" + fx_text).hexdigest()[:12]
            cached = _LOADED[stamp] = (book, load_fx(PRICES_DIR / "fx.yml"))
        return cls(*cached, price_as=cfg.pricing_names() if cfg is not None else {})

    def entry(self, provider: str, model: str, at: datetime) -> Any:
        """The price entry in force for a call (through ``price_as``); remembered with the span it is in force
        for, since a night's calls all ask for the same one."""
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        span = self._spans.get((provider, model))
        if span is not None and span[0] <= at < span[1]:
            return span[2]
        name = self.price_as.get(provider, provider)
        entry = self.book.price_for(name, model, at)
        later = [e.effective_from for e in self.book.entries(name, model) if e.effective_from > entry.effective_from]
        self._spans[(provider, model)] = (entry.effective_from, min(later, default=_END_OF_TIME), entry)
        return entry

    @property
    def version(self) -> str:
        """The price book's content hash (recorded on every run and cost row)."""
        return self.book.version

    def previous(self, provider: str, model: str, at: datetime) -> Any:
        """The entry before the one in force at ``at`` (None for a model's first entry)."""
        current = self.entry(provider, model, at)
        history = self.book.entries(self.price_as.get(provider, provider), model)
        index = history.index(current)
        return history[index - 1] if index else None

    def cost(self, provider: str, model: str, at: datetime, usage: Usage) -> costs.Cost:
        """The cost of one call."""
        return costs.cost(usage, self.entry(provider, model, at), at, self.fx)

    def cost_usd(self, provider: str, model: str, at: datetime, usage: Usage) -> Decimal:
        """The cost of one call in USD."""
        return self.cost(provider, model, at, usage).total_usd

    def worst_case(self, provider: str, model: str, at: datetime, prompt_tokens: int, max_output: int) -> costs.Cost:
        """:meth:`worst_case_usd` as a cost with its breakdown: every prompt token at the dearest input rate
        (shown as input), every output token at the dearest output rate, plus the request fee."""
        entry = self.entry(provider, model, at)
        per_in, per_out = _dearest(entry)
        breakdown = {f: Decimal(0) for f in ("cache_read", "cache_write_5m", "cache_write_1h")}
        breakdown |= {"input_uncached": prompt_tokens * per_in / costs.MTOK, "output": max_output * per_out / costs.MTOK,
                      "request_fee": entry.request_fee}
        total = sum(breakdown.values(), Decimal(0))
        fx = self.fx.rate(entry.currency, at)
        return costs.Cost(entry.currency, breakdown, total, fx, total * fx, entry.entry_id, None, None)

    def worst_case_usd(self, provider: str, model: str, at: datetime, prompt_tokens: int, max_output: int) -> Decimal:
        """The most a call can cost: every prompt token at the dearest input rate of the entry (any tier,
        window or cache write), every output token at the dearest output rate, plus the request fee."""
        entry = self.entry(provider, model, at)
        key = (entry.entry_id, at.date())
        if key not in self._worst_rates:
            per_in, per_out = _dearest(entry)
            fx = self.fx.rate(entry.currency, at)
            self._worst_rates[key] = (per_in * fx / costs.MTOK, per_out * fx / costs.MTOK, entry.request_fee * fx)
        per_in_usd, per_out_usd, fee_usd = self._worst_rates[key]
        return prompt_tokens * per_in_usd + max_output * per_out_usd + fee_usd


def _dearest(entry: PriceEntry) -> tuple[Decimal, Decimal]:
    """The entry's dearest input-side rate (any tier, window or cache write) and dearest output rate, per Mtok."""
    sets = [entry.rates, *(t.rates for t in entry.tiers), *(w.rates for w in entry.windows)]
    per_in = max(max(v for k, v in r.per_field().items() if k != "output") for r in sets)
    return per_in, max(r.output for r in sets)

_CALLS_TO_PRICE = """
SELECT call_id, run_id, provider, model, requested_at, input_uncached_tokens, cache_read_tokens,
       cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, provider_reported_cost_usd,
       status, cost_estimate
FROM calls WHERE run_id = ? AND (status = 'ok' OR cost_estimate IS NOT NULL)
"""


def _usage(row: dict[str, Any]) -> Usage:
    values = {name: int(row[name] or 0) for name in TOKEN_FIELDS}
    return Usage(**values, provider_reported_cost=row["provider_reported_cost_usd"])


def _cost_row(row: dict[str, Any], pricer: Pricer, priced_at: datetime) -> list[Any]:
    at = row["requested_at"].astimezone(UTC)
    if row["status"] != "ok":  # spend of unknown size (usage unreadable, or in doubt): its worst case, flagged
        bound = json.loads(row["cost_estimate"])
        c = pricer.worst_case(row["provider"], row["model"], at, bound["prompt_tokens_max"], bound["output_tokens_max"])
        return [*_cost_values(row, c, pricer, priced_at, None), True, f"{row['status']}: {bound['reason']}", None]
    usage = _usage(row)
    c = pricer.cost(row["provider"], row["model"], at, usage)
    rec = costs.reconcile(c, usage.provider_reported_cost, RECONCILE_TOLERANCE_USD)
    return [*_cost_values(row, c, pricer, priced_at, rec), False, None, _billed_entry(row, c, rec, usage, pricer, at)]


def _billed_entry(row: dict[str, Any], c: costs.Cost, rec: costs.Reconciliation | None, usage: Usage,
                  pricer: Pricer, at: datetime) -> str | None:
    """The entry whose price reproduces the provider's figure: the one in force, else the one before it (the
    provider still bills the old price, a billing lag), else None (no figure, or nothing explains it)."""
    if rec is None:
        return None
    if not rec.flagged:
        return c.entry_id
    previous = pricer.previous(row["provider"], row["model"], at)
    if previous is None:
        return None
    old = costs.cost(usage, previous, at, pricer.fx)
    lagged = costs.reconcile(old, usage.provider_reported_cost, RECONCILE_TOLERANCE_USD)
    return previous.entry_id if lagged is not None and not lagged.flagged else None


def _cost_values(row: dict[str, Any], c: costs.Cost, pricer: Pricer, priced_at: datetime,
                 rec: costs.Reconciliation | None) -> list[Any]:
    b = c.breakdown
    return [
        row["call_id"], row["run_id"], c.entry_id, pricer.version, c.currency,
        b["input_uncached"], b["cache_read"], b["cache_write_5m"], b["cache_write_1h"], b["output"], b["request_fee"],
        c.total, c.fx_rate, c.total_usd, c.tier, c.window,
        rec.delta_usd if rec else None, bool(rec and rec.flagged), priced_at,
    ]


def _entry_rows(pricer: Pricer) -> list[list[Any]]:
    rows_out = []
    for history in pricer.book.entries_by_model.values():
        previous = None
        for e in history:
            r = e.rates.per_field()
            rows_out.append([
                pricer.version, e.entry_id, e.provider, e.model, previous, e.effective_from, e.announced_on,
                e.currency, pricer.fx.rate(e.currency, e.effective_from), r["input_uncached"], r["cache_read"],
                r["cache_write_5m"], r["cache_write_1h"], r["output"], e.request_fee, bool(e.tiers),
                bool(e.windows), e.source,
            ])
            previous = e.entry_id
    return rows_out


def _detail_rows(pricer: Pricer) -> list[list[Any]]:
    out = []
    for history in pricer.book.entries_by_model.values():
        for prev, e in zip([None, *history], history, strict=False):
            conv = None if prev is None else pricer.fx.rate(prev.currency, e.effective_from) / pricer.fx.rate(e.currency, e.effective_from)
            out.append([pricer.version, e.entry_id, e.confidence, e.evidence, e.undated, e.rates.cache_read is not None,
                        e.rates.cache_write_5m is not None, e.rates.cache_write_1h is not None,
                        None if conv is None else conv.quantize(Decimal("1e-12"))])
    return out


def _window_rows(pricer: Pricer) -> list[list[Any]]:
    return [[pricer.version, e.entry_id, w.name, w.start_utc, w.end_utc, *w.rates.per_field().values()]
            for e in pricer.book.all_entries() for w in e.windows]


def _fx_rows(pricer: Pricer) -> list[list[Any]]:
    return [[pricer.version, r.currency, r.since, r.usd, r.basis or None, r.source]
            for rates in pricer.fx.rates.values() for r in rates]


def _insert(con: duckdb.DuckDBPyConnection, table: str, values: list[list[Any]]) -> None:
    if values:
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)


def sync_price_entries(con: duckdb.DuckDBPyConnection, pricer: Pricer) -> None:
    """Store this price-book version's entries, their details and windows, and its FX rates (once per
    version), so analytics can trace every figure."""
    if rows(con, "SELECT 1 AS x FROM price_entries WHERE pricebook_version = ? LIMIT 1", [pricer.version]):
        return
    for table, values in (("price_entries", _entry_rows(pricer)), ("price_entry_details", _detail_rows(pricer)),
                          ("price_windows", _window_rows(pricer)), ("fx_rates", _fx_rows(pricer))):
        _insert(con, table, values)


_COST_TYPES = ["VARCHAR"] * 5 + ["DECIMAL(38, 12)"] * 9 + ["VARCHAR", "VARCHAR", "DECIMAL(38, 12)", "BOOLEAN",
                                                            "TIMESTAMPTZ", "BOOLEAN", "VARCHAR", "VARCHAR"]


def _insert_costs(con: duckdb.DuckDBPyConnection, values: list[list[Any]]) -> None:
    """Bulk insert through a DataFrame of text, cast in SQL: exact and far faster than executemany."""
    import pandas as pd

    frame = pd.DataFrame([[None if v is None else str(v) for v in row] for row in values], dtype=object)
    frame.columns = [f"c{i}" for i in range(len(values[0]))]
    con.register("incoming_costs", frame)
    try:
        casts = ", ".join(f"c{i}::{t}" for i, t in enumerate(_COST_TYPES))
        con.execute(f"INSERT INTO costs SELECT {casts} FROM incoming_costs")
    finally:
        con.unregister("incoming_costs")


def price_run(con: duckdb.DuckDBPyConnection, run_id: str, pricer: Pricer | None = None) -> int:
    """(Re)compute the costs of every successful call of a run; returns the number of calls priced."""
    pricer = pricer or Pricer.load()
    priced_at = datetime.now(UTC)
    values = [_cost_row(r, pricer, priced_at) for r in rows(con, _CALLS_TO_PRICE, [run_id])]
    with transaction(con):
        sync_price_entries(con, pricer)
        con.execute("DELETE FROM costs WHERE run_id = ?", [run_id])
        if values:
            _insert_costs(con, values)
        con.execute("UPDATE runs SET pricebook_version = ? WHERE run_id = ?", [pricer.version, run_id])
        refresh_rollup(con, run_id)
    return len(values)


def refresh_rollup(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Rebuild the rollups of one run (analytics over long histories read them); see costbench.store.rollup."""
    rollup.refresh_rollup(con, run_id)


def reprice(con: duckdb.DuckDBPyConnection, since: date, pricer: Pricer | None = None) -> dict[str, int]:
    """Re-price every run whose time is on or after ``since``; returns calls priced per run."""
    pricer = pricer or Pricer.load()
    run_ids = [r["run_id"] for r in rows(con, "SELECT run_id FROM runs WHERE run_at::DATE >= ? ORDER BY run_at", [since])]
    priced = {run_id: price_run(con, run_id, pricer) for run_id in run_ids}
    keep_intervals(con)  # re-priced runs that passed the gate change the leaderboards' clusters
    return priced


def price(db_path: Path, run_id: str, cfg: Any = None) -> int:
    """Open the store and price one run (with the config's user price books and ``price_as``, if given)."""
    with opened(db_path) as con:
        return price_run(con, run_id, Pricer.load(cfg))
