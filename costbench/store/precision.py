"""Load an adaptive night's precision summary (``precision.json`` beside its journal) into ``run_precision``."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from costbench.errors import StoreError

SUMMARY_FILE = "precision.json"

_INSERT = """
INSERT OR REPLACE INTO run_precision VALUES
    ($run_id, $model, $attempts, $planned_attempts, $pooled_attempts, $rounds, $night_spend_usd::DECIMAL(38, 12),
     $cost_per_solved_usd::DECIMAL(38, 12), $halfwidth_pct, $target, $stopped_by)
"""


def load_precision(con: duckdb.DuckDBPyConnection, run_dir: Path, run_id: str) -> int:
    """Insert (or replace) the run's per-model precision rows; 0 when the run was not adaptive."""
    path = run_dir / SUMMARY_FILE
    if not path.is_file():
        return 0
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        rows = [{**{k: m[k] for k in ("model", "attempts", "planned_attempts", "pooled_attempts", "rounds",
                                     "night_spend_usd", "cost_per_solved_usd", "halfwidth_pct", "stopped_by")},
                 "run_id": run_id, "target": summary["target_halfwidth_pct"]} for m in summary["models"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: unreadable precision summary ({exc!r}); re-run the night with --resume") from None
    for row in rows:
        con.execute(_INSERT, row)
    return len(rows)
