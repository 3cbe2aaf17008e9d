"""Staged rows: every importer's common output, checked and inserted in one transaction.

A staged row is text (as read) in the columns of :data:`COLUMNS`; SQL casts and checks it
(``sql/bills/stage_errors.sql``), so a bad cell becomes one line naming file, line and source field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from decimal import Decimal
from typing import Any

import duckdb

from costbench.bills.sources import BillError
from costbench.secrets import redact

COLUMNS = (
    "line", "row_key", "occurred_at", "period_end", "granularity", "requests", "provider_hint", "source_model",
    "input_tokens", "input_includes_cache", "cache_read", "cache_write_5m", "cache_write_1h", "output_tokens",
    "reasoning_tokens", "total_tokens", "reported_cost", "currency", "tier_hint", "flags", "raw",
)
"""``input_tokens`` is the source's input count; when ``input_includes_cache`` is 'true' (OpenAI convention)
the cache reads and writes are subtracted from it to get the uncached bucket."""


@dataclass
class Staged:
    """What an importer read: rows (or a SQL relation already in ``bill_stage``) and field names for errors."""

    fields: dict[str, str]
    """Staged column → the source's own field name (used in error messages)."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    in_table: bool = False
    """True when the importer already created the ``bill_stage`` temp table itself (bulk CSV reads)."""
    columns: list[str] | None = None
    """The CSV header when ``raw`` holds each row's values as a JSON array (bulk CSV: half the bytes)."""


def bucket_results(path: Path, pages: list[Any], fields: dict[str, str],
                   make_row: Callable[[dict[str, Any], dict[str, Any], int], dict[str, Any]], expected: str) -> Staged:
    """Stage every result of every bucket of every page of a usage report (pages → ``data`` → ``results``, the shape
    of Anthropic's and OpenAI's usage APIs); record number = line."""
    staged, line = Staged(fields), 0
    for page in pages:
        buckets = page.get("data") if isinstance(page, dict) else page
        if not isinstance(buckets, list):
            raise BillError(f"{path}: expected {expected}")
        for bucket in buckets:
            for res in bucket.get("results") or []:
                line += 1
                staged.rows.append(make_row(bucket, res, line))
    return staged


def text(value: Any) -> str | None:
    """A staged cell: exact text for numbers (no float, no exponent), None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):  # sqlite REAL columns: their shortest repr is the stored figure's text
        return format(Decimal(repr(value)), "f")
    return str(value)


def raw_json(record: dict[str, Any], drop: tuple[str, ...] = ()) -> str:
    """The source record as JSON text, without message-text fields, with anything key-shaped redacted."""
    kept = {k: v for k, v in record.items() if k not in drop}
    return redact(json.dumps(kept, ensure_ascii=False, default=str, sort_keys=True)) or "{}"


def row(**values: Any) -> dict[str, Any]:
    """A staged row with every column present (missing ones NULL), as text."""
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown staged column(s): {sorted(unknown)}")
    return {c: text(values.get(c)) for c in COLUMNS}


def load(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """Put python-staged rows into the ``bill_stage`` temp table (all text, cast later in SQL)."""
    if staged.in_table:
        return
    import pandas as pd

    frame = pd.DataFrame(staged.rows, columns=list(COLUMNS), dtype=object)
    con.register("bill_stage_frame", frame)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE bill_stage AS SELECT "
                    + ", ".join(f"{c}::VARCHAR AS {c}" if c != "line" else "line::BIGINT AS line" for c in COLUMNS)
                    + " FROM bill_stage_frame")
    finally:
        con.unregister("bill_stage_frame")


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows as dicts on THIS connection (temp tables are per connection: ``store.db.rows`` uses a cursor)."""
    result = con.execute(sql, params)
    columns = [d[0] for d in result.description or []]
    return [dict(zip(columns, r, strict=True)) for r in result.fetchall()]
