"""``costbench bill import``: detect the format, stage, check, insert and re-price, in one transaction.

A bad cell rejects the whole file with one line (file:line, the source's field name, the value, what is
wrong) unless ``skip_bad``; importing the same rows again adds nothing (deterministic ``row_id``).
"""

from __future__ import annotations

import hashlib
import json
import importlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from costbench.bills import stage
from costbench.bills.models import map_model
from costbench.bills.repricing import reprice_bills
from costbench.bills.sources import BillError, Locator, ReadContext, read_json
from costbench.errors import did_you_mean
from costbench.prices.pricing import Pricer
from costbench.secrets import redact
from costbench.store.db import rows, sql_text, transaction

MODULES = {"openrouter-csv": "openrouter_csv", "openrouter-generation": "openrouter_generation",
           "claude-code": "claude_code", "ccusage": "ccusage", "litellm-spendlogs": "litellm",
           "anthropic-usage": "anthropic_usage", "openai-usage": "openai_usage", "ccr-usage": "ccr", "csv": "generic_csv"}
FORMATS = tuple(MODULES)


@dataclass
class ImportResult:
    """What one import did."""

    import_id: str
    source_format: str
    rows_read: int
    rows_added: int
    rows_skipped: int
    unmapped: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    source_columns: list[str] | None = None


def _json_format(path: Path) -> str | None:
    data: Any = read_json(path)
    first = data[0] if isinstance(data, list) and data else data
    if not isinstance(first, dict):
        return None
    inner = first.get("data")
    if any(k in first for k in ("daily", "weekly", "monthly", "sessions", "projects", "entries")):
        return "ccusage"
    if isinstance(inner, dict) or "native_tokens_prompt" in first or "total_cost" in first:
        return "openrouter-generation"
    if "request_id" in first and "spend" in first or isinstance(inner, list) and inner and "spend" in inner[0]:
        return "litellm-spendlogs"
    results = [r for b in (inner or []) if isinstance(b, dict) for r in b.get("results") or []]
    if results and "uncached_input_tokens" in results[0]:
        return "anthropic-usage"
    if results and ("input_cached_tokens" in results[0] or first.get("object") == "page"):
        return "openai-usage"
    return None


def _csv_format(path: Path) -> str | None:
    with path.open(encoding="utf-8-sig") as handle:
        header = handle.readline()
    if "generation_id" in header and "model_permaslug" in header:
        return "openrouter-csv"
    if "request_id" in header and "spend" in header:
        return "litellm-spendlogs"
    return None


def detect(path: Path, has_map: bool) -> str:
    """The format of ``path`` from its extension and first keys/header."""
    suffix = path.suffix.lower()
    found: str | None = None
    if path.is_dir() or suffix == ".jsonl":
        found = "claude-code"
    elif suffix in (".sqlite", ".db", ".sqlite3"):
        found = "ccr-usage"
    elif suffix == ".json":
        found = _json_format(path)
    elif suffix == ".csv":
        found = "csv" if has_map else _csv_format(path)
    if found is None:
        raise BillError(f"{path}: cannot tell the export format; pass --format ({', '.join(FORMATS)}), "
                        f"or --format csv --map FILE for another CSV")
    return found


def _digest(path: Path, fmt: str) -> str:
    digest = hashlib.sha256(fmt.encode() + b"\0")
    for file in sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _read(path: Path, fmt: str, ctx: ReadContext, locator: Locator) -> stage.Staged:
    module = importlib.import_module(f"costbench.bills.{MODULES[fmt]}")
    if fmt == "claude-code":
        return module.read(path, ctx, locator)
    return module.read(path, ctx)


def _map_models(con: duckdb.DuckDBPyConnection, pricer: Pricer, overrides: dict[str, str]) -> list[str]:
    """Fill ``bill_model_map`` for the staged models; return the unmapped ones."""
    pairs = stage.fetch(con, "SELECT DISTINCT provider_hint, source_model FROM bill_stage WHERE source_model IS NOT NULL")
    known = list(pricer.book.entries_by_model)
    mapped, unmapped = [], []
    for p in pairs:
        hit = map_model(p["provider_hint"], p["source_model"], known, overrides)
        mapped.append([p["provider_hint"], p["source_model"], *(hit or (None, None))])
        if hit is None:
            unmapped.append(f"{p['provider_hint'] or '?'}:{p['source_model']}")
    con.execute("CREATE OR REPLACE TEMP TABLE bill_model_map (provider_hint VARCHAR, source_model VARCHAR, "
                "provider VARCHAR, model VARCHAR)")
    if mapped:
        con.executemany("INSERT INTO bill_model_map VALUES (?, ?, ?, ?)", mapped)
    return sorted(unmapped)


def _bad_lines(con: duckdb.DuckDBPyConnection, path: Path, staged: stage.Staged, locator: Locator,
               skip_bad: bool) -> list[str]:
    """Check the staged cells; raise on the first bad one unless ``skip_bad``; fill ``bill_bad_lines``."""
    bad = stage.fetch(con, sql_text("bills/stage_errors"))
    messages = []
    for b in bad:
        name = staged.fields.get(b["col"], b["col"])
        value = redact(str(b["value"])[:60]) if b["value"] is not None else "empty"
        messages.append(f"{locator.where(b['line'], path)}: field {name}: {value!r} {b['problem']}")
    if messages and not skip_bad:
        more = f" ({len({b['line'] for b in bad})} bad rows in all)" if len(bad) > 1 else ""
        raise BillError(f"{messages[0]}{more}; nothing imported: fix the file or pass --skip-bad")
    con.execute("CREATE OR REPLACE TEMP TABLE bill_bad_lines AS SELECT DISTINCT line FROM bill_stage WHERE line IN "
                "(SELECT unnest($lines::BIGINT[]))", {"lines": sorted({b["line"] for b in bad})})
    return messages


def _record(con: duckdb.DuckDBPyConnection, result: ImportResult, path: Path, digest: str) -> None:
    columns = None if result.source_columns is None else json.dumps(result.source_columns)
    con.execute("INSERT INTO bill_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [result.import_id, result.source_format, path.name, digest, result.rows_read, result.rows_added,
                 result.rows_skipped, columns, datetime.now(UTC)])


def _already(con: duckdb.DuckDBPyConnection, digest: str) -> ImportResult | None:
    """The earlier import of exactly this content, reported as adding nothing (None: never imported)."""
    found = rows(con, "SELECT import_id, source_format, rows_read FROM bill_imports WHERE import_id = ?", [digest[:16]])
    if not found:
        return None
    unmapped = rows(con, "SELECT DISTINCT coalesce(source_provider, '?') || ':' || source_model AS m FROM bill_rows "
                         "WHERE import_id = ? AND model IS NULL ORDER BY m", [digest[:16]])
    return ImportResult(found[0]["import_id"], found[0]["source_format"], found[0]["rows_read"], 0, 0,
                        [u["m"] for u in unmapped])


def _load(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, ctx: ReadContext, pricer: Pricer,
          import_id: str) -> ImportResult:
    locator = Locator()
    staged = _read(path, fmt, ctx, locator)
    stage.load(con, staged)
    unmapped = _map_models(con, pricer, dict(ctx.mapping.get("models") or {}))
    skipped = ctx.skipped + _bad_lines(con, path, staged, locator, ctx.skip_bad)
    before = con.execute("SELECT count(*) FROM bill_rows").fetchall()[0][0]
    con.execute(sql_text("bills/insert_rows"), {"source_format": fmt, "import_id": import_id})
    added = con.execute("SELECT count(*) FROM bill_rows").fetchall()[0][0] - before
    read_n = con.execute("SELECT count(*) FROM bill_stage").fetchall()[0][0]
    bad_n = con.execute("SELECT count(*) FROM bill_bad_lines").fetchall()[0][0]
    return ImportResult(import_id, fmt, int(read_n), int(added), int(bad_n) + len(ctx.skipped), unmapped, skipped,
                        staged.columns)


def import_path(con: duckdb.DuckDBPyConnection, path: Path, fmt: str = "auto", *, mapping_path: Path | None = None,
                skip_bad: bool = False, pricer: Pricer | None = None) -> ImportResult:
    """Import one export file (or Claude Code tree) into bill_rows and price the new rows; all or nothing."""
    from costbench.bills.generic_csv import load_mapping

    if not path.exists():
        raise BillError(f"{path}: no such file or directory")
    mapping = {**load_mapping(mapping_path), "_path": str(mapping_path)} if mapping_path else {}
    fmt = detect(path, bool(mapping.get("columns"))) if fmt == "auto" else fmt
    if fmt not in MODULES:
        raise BillError(f"--format {fmt!r}: unknown.{did_you_mean(fmt, FORMATS)}")
    pricer = pricer or Pricer.load()
    digest = _digest(path, fmt)
    done = _already(con, digest)
    if done is not None:  # the same bytes in the same format: the same row ids, nothing to add
        return done
    ctx = ReadContext(con, skip_bad, mapping)
    with transaction(con):
        result = _load(con, path, fmt, ctx, pricer, digest[:16])
        if not rows(con, "SELECT 1 AS x FROM bill_imports WHERE import_id = ?", [result.import_id]):
            _record(con, result, path, digest)
        reprice_bills(con, pricer, only_new=True)
    return result


