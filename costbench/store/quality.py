"""The data-quality gate: Great Expectations suites over a run's landed rows, plus SQL audits.

The GX API stays inside this module. Suites are declared as data (``SUITES``) and run in an
ephemeral, offline GX context over DataFrames pulled from DuckDB (GX cannot validate DuckDB tables
directly; see ENVIRONMENT.md). A failing run is marked ``failed_quality`` with a readable summary.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from costbench.store.db import SQL_DIR, opened, query, rows, set_run_status, transaction
from costbench.store.intervals import keep_intervals

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

TOKEN_COLUMNS = ("input_uncached_tokens", "cache_read_tokens", "cache_write_5m_tokens",
                 "cache_write_1h_tokens", "output_tokens", "reasoning_tokens")

CALL_STATUSES = ("ok", "error", "usage_unreadable", "timed_out")
"""ok; error (an HTTP error, not billed); usage_unreadable (a 200 whose usage cannot be read) and timed_out
(sent, never answered): both charged at worst case with an estimated cost row."""
WARN_ONLY = frozenset({"estimated_costs"})
"""Audits that are shown, not failed: their rows are warnings."""
MODEL_AUDIT = "models_failing_calls"

MAX_LATENCY_MS = 600_000
"""A call slower than 10 minutes is not a latency, it is a bug."""

RECONCILIATION_MAX_FLAGGED_SHARE = 0.05
"""A model whose computed cost disagrees with the provider's own figure on more than 5 % of its calls fails
the run: the price book (or a usage mapping) is wrong for it."""

SUITES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "calls": [
        ("ExpectTableRowCountToBeBetween", {"min_value": 1}),
        *[("ExpectColumnValuesToNotBeNull", {"column": c})
          for c in ("call_id", "run_id", "provider", "model", "task_id", "task_version", "requested_at")],
        ("ExpectColumnValuesToBeUnique", {"column": "call_id"}),
        ("ExpectColumnValuesToBeInSet", {"column": "status", "value_set": list(CALL_STATUSES)}),
        *[("ExpectColumnValuesToBeBetween", {"column": c, "min_value": 0}) for c in TOKEN_COLUMNS],
        ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "output_tokens", "column_B": "reasoning_tokens",
                                                     "or_equal": True, "ignore_row_if": "either_value_is_missing"}),
        ("ExpectColumnValuesToBeBetween", {"column": "latency_ms", "min_value": 0, "max_value": MAX_LATENCY_MS}),
    ],
    "costs": [
        ("ExpectColumnValuesToNotBeNull", {"column": "total_usd"}),
        ("ExpectColumnValuesToBeUnique", {"column": "call_id"}),
        ("ExpectColumnValuesToBeBetween", {"column": "total_usd", "min_value": 0}),
    ],
}


@dataclass
class QualityReport:
    """What the gate found for one run."""

    run_id: str
    passed: bool
    failures: list[str] = field(default_factory=list)
    checks: int = 0
    failing_models: list[str] = field(default_factory=list)
    """One line per failing model: ``provider/model: 150/150 calls failed: <dominant cause>``."""
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One readable paragraph."""
        warned = f" ({len(self.warnings)} warning(s): " + "; ".join(self.warnings) + ")" if self.warnings else ""
        if self.passed:
            return f"run {self.run_id}: all {self.checks} quality checks passed{warned}"
        return (f"run {self.run_id}: {len(self.failures)} of {self.checks} quality checks failed: "
                + "; ".join(self.failures) + warned)


def _gx_results(table: str, df: Any, expectations: list[tuple[str, dict[str, Any]]]) -> list[CheckResult]:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX sets some of its loggers to INFO itself; keep a run's output about the run.
    for name in ("great_expectations.data_context.types.base", "great_expectations"):
        logging.getLogger(name).setLevel(logging.WARNING)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_def = ctx.data_sources.add_pandas(f"costbench_{table}").add_dataframe_asset(table) \
        .add_batch_definition_whole_dataframe("run")
    suite = ctx.suites.add(gx.ExpectationSuite(name=f"{table}_suite"))
    for name, kwargs in expectations:
        suite.add_expectation(getattr(gx.expectations, name)(**kwargs))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{table}_vd", data=batch_def, suite=suite))
    out = []
    for r in vd.run(batch_parameters={"dataframe": df}).results:
        cfg = r.expectation_config
        columns = " ".join(str(cfg.kwargs[k]) for k in ("column", "column_A", "column_B") if k in cfg.kwargs)
        bad = (r.result or {}).get("unexpected_count")
        out.append(CheckResult(f"{table}: {cfg.type} {columns}".strip(), "gx", bool(r.success), bad,
                               None if r.success else f"{bad if bad is not None else '?'} unexpected value(s)"))
    return out


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict."""

    name: str
    kind: str
    passed: bool
    failing_rows: int | None
    detail: str | None


def _audits(con: duckdb.DuckDBPyConnection, run_id: str, max_failed_share: float) -> list[CheckResult]:
    out = []
    for path in sorted((SQL_DIR / "audits").glob("*.sql")):
        params: dict[str, Any] = {"run_id": run_id}
        if "$max_failed_share" in path.read_text(encoding="utf-8"):
            params["max_failed_share"] = max_failed_share
        bad = query(con, f"audits/{path.stem}", **params)
        detail = None if not bad else f"{len(bad)} offending row(s), e.g. {bad[0]}"
        if path.stem == MODEL_AUDIT and bad:
            detail = "; ".join(model_line(r) for r in bad)
        kind = "warn" if path.stem in WARN_ONLY else "audit"
        out.append(CheckResult(path.stem, kind, not bad, len(bad), detail and detail[:1000]))
    return out


def model_line(row: dict[str, Any]) -> str:
    """``openai/gpt-5-mini: 150/150 calls failed: HTTP 401 invalid API key``."""
    return (f"{row['provider']}/{row['model']}: {row['failed_calls']}/{row['calls']} calls failed: "
            f"{(row['dominant_cause'] or 'no successful call')[:200]}")


def _reconciliation(con: duckdb.DuckDBPyConnection, run_id: str) -> CheckResult:
    bad = query(con, "quality/reconciliation_share", run_id=run_id, max_share=RECONCILIATION_MAX_FLAGGED_SHARE)
    detail = "; ".join(f"{b['provider']}/{b['model']}: {b['flagged_calls']} of {b['calls_with_figure']} calls differ from "
                       f"the provider's figure (total {b['total_delta_usd']} USD)" for b in bad)
    return CheckResult("reconciliation_flagged_share", "reconciliation", not bad, len(bad), detail[:300] or None)


def _store(con: duckdb.DuckDBPyConnection, run_id: str, checks: list[CheckResult]) -> None:
    now = datetime.now(UTC)
    con.execute("DELETE FROM quality_results WHERE run_id = ?", [run_id])
    con.executemany("INSERT INTO quality_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [[run_id, c.name, c.kind, c.passed, c.failing_rows, c.detail, now] for c in checks])


def check_run(con: duckdb.DuckDBPyConnection, run_id: str, max_failed_share: float = 0.1) -> QualityReport:
    """Run every suite and audit over ``run_id``; a failing run is quarantined as ``failed_quality``.

    It fails when any check fails, including when a model has no successful call or more than
    ``max_failed_share`` of its calls failed (``[quality] max_failed_share``).
    """
    checks: list[CheckResult] = []
    for table, expectations in SUITES.items():
        df = con.execute(f"SELECT * EXCLUDE ({_heavy(table)}) FROM {table} WHERE run_id = ?", [run_id]).df()
        checks += _gx_results(table, df, expectations)
    checks += _audits(con, run_id, max_failed_share)
    checks.append(_reconciliation(con, run_id))
    _store(con, run_id, checks)
    failures = [f"{c.name} ({c.detail})" if c.detail else c.name for c in checks if not c.passed and c.kind != "warn"]
    warnings = [f"{c.name}: {c.failing_rows} call(s) charged at worst case" for c in checks if not c.passed and c.kind == "warn"]
    models = query(con, f"audits/{MODEL_AUDIT}", run_id=run_id, max_failed_share=max_failed_share)
    report = QualityReport(run_id, not failures, failures, len(checks), [model_line(r) for r in models], warnings)
    was_ok = rows(con, "SELECT status = 'ok' AS ok FROM runs WHERE run_id = ?", [run_id])
    with transaction(con):  # the gate's verdict and the task_totals fold it implies, together
        set_run_status(con, run_id, "ok" if report.passed else "failed_quality",
                       None if report.passed else report.summary())
    if report.passed or (was_ok and was_ok[0]["ok"]):  # the runs that pass changed: so did the leaderboards' clusters
        keep_intervals(con)
    return report


def _heavy(table: str) -> str:
    return "raw_usage, raw_response, request_json" if table == "calls" else "priced_at"


def results(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """The stored per-check results of a run."""
    return rows(con, "SELECT check_name, kind, passed, failing_rows, detail FROM quality_results "
                     "WHERE run_id = ? ORDER BY passed, kind, check_name", [run_id])


def check(db_path: Path, run_id: str, max_failed_share: float = 0.1, wait_s: float = 0.0) -> QualityReport:
    """Open the store (waiting up to ``wait_s`` for another writer) and gate one run."""
    with opened(db_path, wait_s=wait_s) as con:
        return check_run(con, run_id, max_failed_share)
