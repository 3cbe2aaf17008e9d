"""Move a run's landing shards into DuckDB in one transaction, keyed by call_id.

Loading twice changes nothing (``ON CONFLICT DO NOTHING``), so a loader can always be re-run after a
crash; the runs row is created from the run's manifest.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from costbench.run import journal
from costbench.store.precision import load_precision
from costbench.errors import StoreError
from costbench.config import Config
from costbench.store.db import LoadResult, connect, migrate, transaction
from costbench.store.rollup import refresh_rollup

_CALL_COLUMNS = (
    "call_id", "run_id", "shard", "provider", "model", "dialect", "task_id", "task_version",
    "task_category", "case_id", "repeat_index", "turn_index", "is_final_turn", "requested_at",
    "latency_ms", "attempts", "status", "http_status", "error", "output_text",
)
_USAGE_COLUMNS = (
    "input_uncached_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
    "output_tokens", "reasoning_tokens",
)

_INSERT_CALLS = """
INSERT INTO calls
SELECT call_id, run_id, shard, provider, model, dialect, task_id, task_version::INTEGER, task_category,
       case_id, repeat_index::INTEGER, turn_index::INTEGER, is_final_turn::BOOLEAN,
       requested_at::TIMESTAMPTZ, latency_ms::INTEGER, attempts::INTEGER, status,
       http_status::INTEGER, error, output_text,
       input_uncached_tokens::BIGINT, cache_read_tokens::BIGINT, cache_write_5m_tokens::BIGINT,
       cache_write_1h_tokens::BIGINT, output_tokens::BIGINT, reasoning_tokens::BIGINT,
       provider_reported_cost_usd::DECIMAL(38, 12), raw_usage::JSON, raw_response::JSON, request_json::JSON,
       simulated::BOOLEAN, landed_at::TIMESTAMPTZ, charged_usd::DECIMAL(38, 12), cost_estimate::JSON
FROM incoming_calls
ON CONFLICT DO NOTHING
"""

_INSERT_GRADES = """
INSERT INTO grades SELECT call_id, run_id, grader, score::DOUBLE, passed::BOOLEAN, reason FROM incoming_grades
ON CONFLICT DO NOTHING
"""


def _call_row(rec: dict[str, Any], landed_at: str) -> dict[str, Any]:
    row = {name: rec.get(name) for name in _CALL_COLUMNS}
    usage = rec.get("usage") or {}
    for name in _USAGE_COLUMNS:
        row[name] = usage.get(name)
    row["provider_reported_cost_usd"] = usage.get("provider_reported_cost")
    row["raw_usage"] = json.dumps(rec.get("raw_usage"), ensure_ascii=False)
    row["raw_response"] = _json_text(rec.get("raw_response_text"))
    row["request_json"] = json.dumps(rec.get("request"), ensure_ascii=False)
    row["simulated"] = bool(rec.get("simulated"))
    row["landed_at"] = landed_at
    row["charged_usd"] = rec.get("charged_usd")
    estimate = rec.get("cost_estimate")
    row["cost_estimate"] = None if estimate is None else json.dumps(estimate, ensure_ascii=False)
    return row


def _json_text(text: str | None) -> str | None:
    """The body as received when it is JSON; otherwise the text as a JSON string (nothing is dropped)."""
    if text is None:
        return None
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return json.dumps(text, ensure_ascii=False)
    return text


def _grade_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rec in records:
        grade = rec.get("grade")
        if grade:
            out.append({"call_id": rec["call_id"], "run_id": rec["run_id"], **grade})
    return out


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    # Everything goes in as text/objects and is cast in SQL, so Decimals never pass through float.
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _upsert_run(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> None:
    con.execute(
        """INSERT INTO runs (run_id, run_at, started_at, status, config_hash, catalog_version,
                             pricebook_version, simulated, budget_usd)
           VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
        [
            manifest["run_id"], manifest["run_at"], manifest["started_at"], manifest["config_hash"],
            manifest["catalog_version"], manifest.get("pricebook_version"), manifest["simulated"],
            manifest.get("budget_usd"),
        ],
    )


def load_run(con: duckdb.DuckDBPyConnection, landing: Path, run_id: str) -> LoadResult:
    """Load every shard of ``run_id`` exactly once; safe to call again."""
    manifest = journal.read_manifest(landing, run_id)
    records = list(journal.landed_records(landing, run_id).values())
    shards = [p for p in journal.run_dir(landing, run_id).glob("*.jsonl") if not p.name.endswith(".sent.jsonl")]
    landed_at = datetime.now(UTC).isoformat()
    calls = _frame([_call_row(r, landed_at) for r in records], [*_CALL_COLUMNS, *_USAGE_COLUMNS,
                   "provider_reported_cost_usd", "raw_usage", "raw_response", "request_json", "simulated", "landed_at",
                   "charged_usd", "cost_estimate"])
    grades = _frame(_grade_rows(records), ["call_id", "run_id", "grader", "score", "passed", "reason"])
    try:
        with transaction(con):
            _upsert_run(con, manifest)
            before = _counts(con, run_id)
            con.register("incoming_calls", calls)
            con.register("incoming_grades", grades)
            if len(calls):
                con.execute(_INSERT_CALLS)
            if len(grades):
                con.execute(_INSERT_GRADES)
            load_precision(con, journal.run_dir(landing, run_id), run_id)
            refresh_rollup(con, run_id)  # a landed run shows its calls before (or without) pricing
            after = _counts(con, run_id)
    except duckdb.Error as exc:
        raise StoreError(f"loading run {run_id} failed and was rolled back: {exc}") from None
    finally:
        con.unregister("incoming_calls")
        con.unregister("incoming_grades")
    return LoadResult(run_id, len(shards), len(records), after[0] - before[0], after[1] - before[1])


def _counts(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[int, int]:
    (row,) = con.execute(
        "SELECT (SELECT count(*) FROM calls WHERE run_id = $r), (SELECT count(*) FROM grades WHERE run_id = $r)",
        {"r": run_id},
    ).fetchall()
    return int(row[0]), int(row[1])


def load(cfg: Config, run_id: str) -> LoadResult:
    """Load a run's landing shards into the configured DuckDB file, waiting (bounded) for its writer lock.

    The calls are already paid and safe in the journal: when the lock never frees, the error says so and
    gives the exact command that loads them later.
    """
    try:
        con = connect(cfg.paths.db, wait_s=cfg.run.db_lock_wait_s)
    except StoreError as exc:
        raise StoreError(f"{exc} (waited {cfg.run.db_lock_wait_s:.0f}s). Nothing is lost: run {run_id} is kept in "
                         f"{journal.run_dir(cfg.paths.landing, run_id)}; load it later with: "
                         f"{load_command(cfg, run_id)}") from None
    try:
        migrate(con)
        return load_run(con, cfg.paths.landing, run_id)
    finally:
        con.close()


def load_command(cfg: Config, run_id: str) -> str:
    """The exact command that loads, prices and gates a run that is only in the journal."""
    return f"costbench db load {run_id} --config {cfg.source}"
