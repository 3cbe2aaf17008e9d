"""Re-price bill rows in SQL at the dated price book: one vectorised statement, exact DECIMAL.

The price book (entries, tiers, time-of-day windows) and the FX table are loaded into temp tables
(``bill_entries``, ``bill_price_sets``, ``bill_fx``); ``sql/bills/price_rows.sql`` then prices every row of
``bill_pricing_input`` with the same rules as :func:`costbench.prices.costs.cost`: the entry in force at the
row's time, the window that contains it (requests only), else the highest tier the request reaches (a
cliff), plus the request fee. Rates are per token (exact: a per-Mtok rate / 10^6 as DECIMAL(38, 18)).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from costbench.errors import PriceBookError
from costbench.prices.book import PRICES_DIR, PriceEntry, Rates, load_pricebook
from costbench.prices.fx import load_fx
from costbench.prices.pricing import Pricer, sync_price_entries
from costbench.store.db import sql_text

MTOK = Decimal(1_000_000)
WINDOW_LEVEL = 100
"""Rate-set levels: 0 base, 1..n tiers (by threshold), WINDOW_LEVEL + i the i-th time-of-day window."""


def load_pricer(extra_prices: list[Path] | None = None) -> Pricer:
    """The packaged price book (and FX), plus user price files given with ``--prices``."""
    if not extra_prices:
        return Pricer.load()
    return Pricer(load_pricebook(PRICES_DIR, overrides=list(extra_prices)), load_fx())


def _rate_cells(rates: Rates) -> list[Decimal]:
    per = rates.per_field()
    return [per[f] / MTOK for f in ("input_uncached", "cache_read", "cache_write_5m", "cache_write_1h", "output")]


def _sets(entry: PriceEntry) -> list[list[Any]]:
    out = [[entry.entry_id, 0, None, *_rate_cells(entry.rates)]]
    for level, tier in enumerate(sorted(entry.tiers, key=lambda t: t.above_input_tokens), start=1):
        label = f"{'≥' if tier.inclusive else '>'}{tier.above_input_tokens}"
        out.append([entry.entry_id, level, label, *_rate_cells(tier.rates)])
    for i, window in enumerate(entry.windows):
        out.append([entry.entry_id, WINDOW_LEVEL + i, window.name, *_rate_cells(window.rates)])
    return out


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], types: list[str],
            values: list[list[Any]]) -> None:
    """(Re)create a temp table from Python values passed as exact text."""
    import pandas as pd

    frame = pd.DataFrame([[None if v is None else str(v) for v in r] for r in values], columns=columns, dtype=object)
    con.register("bill_incoming", frame)
    try:
        casts = ", ".join(f"{c}::{t} AS {c}" for c, t in zip(columns, types, strict=True))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {casts} FROM bill_incoming")
    finally:
        con.unregister("bill_incoming")


_RATE_COLS = ["r_in", "r_read", "r_w5", "r_w1", "r_out"]


MAX_TIERS, MAX_WINDOWS = 3, 2
"""Tiers and windows are columns of ``bill_entries`` (no join per row): enough for every entry in the book."""


def _entry_row(e: PriceEntry) -> list[Any]:
    tiers = sorted(e.tiers, key=lambda t: t.above_input_tokens)
    if len(tiers) > MAX_TIERS or len(e.windows) > MAX_WINDOWS:
        raise PriceBookError(f"{e.entry_id}: bill re-pricing handles up to {MAX_TIERS} tiers and {MAX_WINDOWS} "
                             "time-of-day windows per entry; raise MAX_TIERS/MAX_WINDOWS in costbench/bills/repricing.py")
    cells: list[Any] = [e.provider, e.model, e.entry_id, e.effective_from.isoformat(), e.currency, e.request_fee,
                        len(tiers), bool(e.windows)]
    for i in range(MAX_TIERS):
        t = tiers[i] if i < len(tiers) else None
        cells += [None, None, None] if t is None else [t.above_input_tokens, t.inclusive, t.counter == "prompt"]
    for i in range(MAX_WINDOWS):
        w = e.windows[i] if i < len(e.windows) else None
        cells += [None, None] if w is None else [w.start_utc, w.end_utc]
    return cells


_TIER_COLS = [f"t{i}_{k}" for i in range(1, MAX_TIERS + 1) for k in ("above", "inclusive", "prompt")]
_WINDOW_COLS = [f"w{i}_{k}" for i in range(1, MAX_WINDOWS + 1) for k in ("start", "end")]


def load_rate_tables(con: duckdb.DuckDBPyConnection, pricer: Pricer) -> None:
    """Load entries (with their tier and window bounds), rate sets and FX into temp tables for price_rows.sql."""
    entries = pricer.book.all_entries()
    _insert(con, "bill_entries", ["provider", "model", "entry_id", "effective_from", "currency", "request_fee",
                                  "n_tiers", "has_windows", *_TIER_COLS, *_WINDOW_COLS],
            ["VARCHAR", "VARCHAR", "VARCHAR", "TIMESTAMPTZ", "VARCHAR", "DECIMAL(38, 12)", "INTEGER", "BOOLEAN"]
            + ["BIGINT", "BOOLEAN", "BOOLEAN"] * MAX_TIERS + ["TIME", "TIME"] * MAX_WINDOWS,
            [_entry_row(e) for e in entries])
    _insert(con, "bill_price_sets", ["entry_id", "level", "label", *_RATE_COLS],
            ["VARCHAR", "INTEGER", "VARCHAR"] + ["DECIMAL(38, 18)"] * 5, [s for e in entries for s in _sets(e)])
    fx_rows = [["USD", date(1970, 1, 1), Decimal(1)]]
    fx_rows += [[r.currency, r.since, r.usd] for rates in pricer.fx.rates.values() for r in rates]
    _insert(con, "bill_fx", ["currency", "since", "usd"], ["VARCHAR", "DATE", "DECIMAL(38, 12)"], fx_rows)
    con.execute(sql_text("bills/fx_days"))


def price_input(con: duckdb.DuckDBPyConnection) -> None:
    """Define ``bill_priced``: every row of ``bill_pricing_input`` priced (``sql/bills/price_rows.sql``).

    A view, not a table: its one reader (an insert, or a what-if sum) computes it once, never materialised.
    """
    con.execute("CREATE OR REPLACE TEMP VIEW bill_priced AS " + sql_text("bills/price_rows"))


def reprice_bills(con: duckdb.DuckDBPyConnection, pricer: Pricer, *, only_new: bool = False) -> int:
    """(Re)compute bill_costs: every row, or only rows not yet priced at this price-book version."""
    load_rate_tables(con, pricer)
    sync_price_entries(con, pricer)
    con.execute(sql_text("bills/input_actual"), {"version": pricer.version, "only_new": only_new})
    n = con.execute("SELECT count(*) FROM bill_pricing_input").fetchall()[0]
    con.execute("DELETE FROM bill_costs WHERE row_id IN (SELECT row_id FROM bill_pricing_input)")
    price_input(con)
    con.execute(sql_text("bills/insert_costs"), {"version": pricer.version,
                                                 "priced_at": datetime.now(UTC)})
    return int(n[0]) if n else 0
