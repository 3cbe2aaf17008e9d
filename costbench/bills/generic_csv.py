"""A generic CSV with a small mapping file (``--map FILE``): consoles without a documented export
(DeepSeek's usage page in CNY, Mistral's daily totals in EUR or USD, invoices typed by hand).

Mapping file (YAML)::

    provider: deepseek              # price-book provider of every row (or columns.provider)
    granularity: day                # request | hour | day | week | month | total
    currency: CNY                   # of the cost column (or columns.currency)
    input_includes_cache: false     # true when the input column also counts cache reads/writes
    columns:                        # costbench field: the CSV header
      occurred_at: date
      model: model
      input_tokens: cache_miss
      cache_read: cache_hit
      output_tokens: output
      reported_cost: amount
    models: {deepseek-chat-v3: deepseek/deepseek-chat}   # optional: source id → provider/model

Only ``occurred_at`` and ``model`` are required, plus either ``input_tokens`` and ``output_tokens`` or
``total_tokens`` (a totals-only row: priced by ``costbench whatif`` as an estimate with an interval).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from costbench.bills.sources import BillError, ReadContext, csv_rows
from costbench.bills.stage import Staged, raw_json, row
from costbench.errors import did_you_mean
from costbench.prices.book import read_yaml

FORMAT = "csv"
MAPPABLE = ("occurred_at", "period_end", "model", "provider", "requests", "input_tokens", "cache_read",
            "cache_write_5m", "cache_write_1h", "output_tokens", "reasoning_tokens", "total_tokens",
            "reported_cost", "currency", "row_key")
SETTINGS = ("provider", "granularity", "currency", "input_includes_cache", "columns", "models")


def load_mapping(path: Path) -> dict[str, Any]:
    """Read and check a mapping file; unknown keys get "did you mean"."""
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise BillError(f"{path}: a mapping file is a YAML mapping (see docs/bills.md)")
    for key in data:
        if key not in SETTINGS:
            raise BillError(f"{path}: unknown key {key!r}.{did_you_mean(str(key), SETTINGS)}")
    for key in data.get("columns") or {}:
        if key not in MAPPABLE:
            raise BillError(f"{path}: columns: unknown field {key!r}.{did_you_mean(str(key), MAPPABLE)}")
    return data


def _check(path: Path, header: list[str], columns: dict[str, str], map_path: str) -> None:
    for need in ("occurred_at", "model"):
        if need not in columns:
            raise BillError(f"{map_path}: columns: {need} is required (the CSV header that holds it)")
    for field, column in columns.items():
        if column not in header:
            raise BillError(f"{path}:1: no column {column!r} (mapped to {field} in {map_path}).{did_you_mean(column, header)}")


def _stage(line: int, rec: dict[str, str], mapping: dict[str, Any], seen: dict[str, int]) -> dict[str, Any]:
    cols = mapping["columns"]
    value = {f: rec.get(c) for f, c in cols.items()}
    natural = value.get("row_key") or "\x1f".join(f"{f}={value[f]}" for f in sorted(value))
    seen[natural] = seen.get(natural, 0) + 1  # identical lines are distinct rows, and stay so on re-import
    return row(line=line, row_key=f"{natural}#{seen[natural]}", occurred_at=value.get("occurred_at"),
               period_end=value.get("period_end"), granularity=mapping.get("granularity", "day"),
               requests=value.get("requests"), provider_hint=value.get("provider") or mapping.get("provider"),
               source_model=value.get("model"), input_tokens=value.get("input_tokens"),
               input_includes_cache=bool(mapping.get("input_includes_cache", False)),
               cache_read=value.get("cache_read"), cache_write_5m=value.get("cache_write_5m"),
               cache_write_1h=value.get("cache_write_1h"), output_tokens=value.get("output_tokens"),
               reasoning_tokens=value.get("reasoning_tokens"), total_tokens=value.get("total_tokens"),
               reported_cost=value.get("reported_cost"),
               currency=value.get("currency") or mapping.get("currency", "USD"), raw=raw_json(rec))


def read(path: Path, ctx: ReadContext) -> Staged:
    """Stage every CSV row through the mapping in ``ctx.mapping``."""
    mapping = ctx.mapping
    if not mapping.get("columns"):
        raise BillError(f"{path}: --format csv needs --map FILE with a columns: section (see docs/bills.md)")
    records = csv_rows(path)
    header = list(records[0][1]) if records else []
    _check(path, header, mapping["columns"], mapping.get("_path", "--map file"))
    fields = {f: c for f, c in mapping["columns"].items()}
    fields["source_model"] = fields.pop("model")
    seen: dict[str, int] = {}
    return Staged(fields, [_stage(line, rec, mapping, seen) for line, rec in records])
