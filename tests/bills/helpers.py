"""Shared helpers for the bill tests: a migrated in-memory store, the fixture folder, rows by source."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import duckdb

from costbench.bills.repricing import load_pricer
from costbench.prices.pricing import Pricer
from costbench.store.db import connect, migrate, rows

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"


def db() -> duckdb.DuckDBPyConnection:
    con = connect(":memory:")
    migrate(con)
    return con


def pricer() -> Pricer:
    """The packaged price book plus the test's user price file for mistral-small-2409 ($0.20 / $0.60 per Mtok)."""
    return load_pricer([EXPORTS / "mistral_small_prices.yml"])


def ccr_sqlite(tmp: Path) -> Path:
    """A CCR v3 usage.sqlite built from the SQL fixture (a binary fixture would hide its content)."""
    path = tmp / "usage.sqlite"
    con = sqlite3.connect(path)
    con.executescript((EXPORTS / "ccr_usage.sql").read_text(encoding="utf-8"))
    con.commit()
    con.close()
    return path


def priced(con: duckdb.DuckDBPyConnection, source_format: str) -> list[dict[str, Any]]:
    """Bill rows with their costs, in file order."""
    return rows(con, "SELECT b.*, k.* EXCLUDE (row_id) FROM bill_rows b JOIN bill_costs k USING (row_id) "
                     "WHERE b.source_format = ? ORDER BY b.source_line", [source_format])
