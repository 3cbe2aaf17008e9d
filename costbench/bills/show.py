"""``costbench bill show``: reported vs re-priced cost of the imported bills, by day, model or source."""

from __future__ import annotations

from typing import Any

import duckdb

from costbench.bills.repricing import reprice_bills
from costbench.bills.sources import BillError
from costbench.errors import did_you_mean
from costbench.prices.pricing import Pricer
from costbench.store.db import query

GROUPINGS = ("day", "model", "source")
_EMPTY = {"reported_usd": "not reported", "repriced_usd": "not priced", "difference_usd": "n/a (one side missing)",
          "requests": "not reported", "causes": "none known"}


def show(con: duckdb.DuckDBPyConnection, by: str, pricer: Pricer) -> list[dict[str, Any]]:
    """One row per group (re-pricing first any row not yet priced at this price-book version)."""
    if by not in GROUPINGS:
        raise BillError(f"--by {by!r}: unknown.{did_you_mean(by, GROUPINGS)} Use one of {', '.join(GROUPINGS)}")
    reprice_bills(con, pricer, only_new=True)
    found = query(con, "bills/show", by=by)
    if not found:
        raise BillError("no imported bills: run costbench bill import PATH first")
    return found


def for_display(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Missing figures spelled out (a blank cell would read as zero)."""
    return [{k: (_EMPTY.get(k, "") if v is None else v) for k, v in r.items()} for r in table]
