"""Run the analytics queries of ``sql/analytics/`` by name: listing, parameters, output formats."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from costbench.errors import StoreError, did_you_mean
from costbench.store.db import SQL_DIR, query

DEFAULTS: dict[str, dict[str, Any]] = {"price_changes": {"window_days": 7},
                                     "category_leaderboard": {"window_days": 14, "roles": "{}"},
                                     "prompt_sizes": {"window_days": 14}}
"""Default parameter values per query (a query's header names its parameters)."""


@dataclass(frozen=True)
class QueryInfo:
    """One analytics query: its name, header lines and parameters."""

    name: str
    header: list[str]
    params: list[str]


def catalog() -> dict[str, QueryInfo]:
    """Every analytics query by name."""
    found = {}
    for path in sorted((SQL_DIR / "analytics").glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        header = [line[2:].strip() for line in text.splitlines() if line.startswith("--")]
        header = header[: next((i for i, h in enumerate(header) if not h), len(header))]
        params = sorted(set(re.findall(r"\$([a-z_]+)", text)))
        found[path.stem] = QueryInfo(path.stem, header, params)
    return found


def parse_value(text: str) -> Any:
    """A --param value: an int, a date, a datetime, true/false, or the string itself."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            pass
    return text


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one analytics query; unknown names and missing or extra parameters are clear errors."""
    queries = catalog()
    if name not in queries:
        raise StoreError(f"Unknown query {name!r}; see `costbench query --list`.{did_you_mean(name, queries)}")
    info = queries[name]
    values = {**DEFAULTS.get(name, {}), **params}
    extra = sorted(set(values) - set(info.params))
    missing = sorted(set(info.params) - set(values))
    if extra:
        raise StoreError(f"query {name!r} takes no parameter {extra[0]!r}; it takes: {', '.join(info.params) or 'none'}")
    if missing:
        raise StoreError(f"query {name!r} needs --param {missing[0]}=VALUE")
    return query(con, f"analytics/{name}", **values)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # exact fixed point: str() would give "0E-12", read as a float exponent
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def to_json(rows: list[dict[str, Any]]) -> str:
    """JSON with exact decimals as strings."""
    return json.dumps([{k: _plain(v) for k, v in r.items()} for r in rows], indent=2, default=str)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with exact decimals."""
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _plain(v) for k, v in r.items()} for r in rows)
    return out.getvalue()


def to_table(rows: list[dict[str, Any]]) -> str:
    """A plain aligned text table."""
    if not rows:
        return "(no rows)"
    cols = list(rows[0])
    cells = [[str(_plain(r[c])) if r[c] is not None else "" for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)
