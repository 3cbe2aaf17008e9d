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
from typing import Any

import duckdb

from costbench.store import SQL_DIR, opened, query, rows, set_run_status

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

TOKEN_COLUMNS = ("input_uncached_tokens", "cache_read_tokens", "cache_write_5m_tokens",
                 "cache_write_1h_tokens", "output_tokens", "reasoning_tokens")

SUITES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "calls": [
        ("ExpectTableRowCountToBeBetween", {"min_value": 1}),
        ("ExpectColumnValuesToNotBeNull", {"column": "call_id"}),
        ("ExpectColumnValuesToBeUnique", {"column": "call_id"}),
        ("ExpectColumnValuesToNotBeNull", {"column": "run_id"}),
        ("ExpectColumnValuesToBeInSet", {"column": "status", "value_set": ["ok", "error"]}),
        *[("ExpectColumnValuesToBeBetween", {"column": c, "min_value": 0}) for c in TOKEN_COLUMNS],
    ],
}


@dataclass
class QualityReport:
    """What the gate found for one run."""

    run_id: str
    passed: bool
    failures: list[str] = field(default_factory=list)
    checks: int = 0

    def summary(self) -> str:
        """One readable paragraph."""
        if self.passed:
            return f"run {self.run_id}: all {self.checks} quality checks passed"
        return f"run {self.run_id}: {len(self.failures)} of {self.checks} quality checks failed: " + "; ".join(self.failures)


def _gx_failures(table: str, df: Any, expectations: list[tuple[str, dict[str, Any]]]) -> list[str]:
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
    result = vd.run(batch_parameters={"dataframe": df})
    failures = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            column = cfg.kwargs.get("column", "")
            failures.append(f"{table}: {cfg.type} {column}".strip())
    return failures


def _audits(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[int, list[str]]:
    names = sorted(p.stem for p in (SQL_DIR / "audits").glob("*.sql"))
    failures = []
    for name in names:
        bad = query(con, f"audits/{name}", run_id=run_id)
        if bad:
            failures.append(f"audit {name}: {len(bad)} offending row(s)")
    return len(names), failures


def check_run(con: duckdb.DuckDBPyConnection, run_id: str) -> QualityReport:
    """Run every suite and audit over ``run_id``; mark the run ``failed_quality`` when any fails."""
    failures: list[str] = []
    checks = 0
    for table, expectations in SUITES.items():
        df = con.execute(f"SELECT * EXCLUDE (raw_usage, raw_response, request_json) FROM {table} WHERE run_id = ?",
                         [run_id]).df()
        failures += _gx_failures(table, df, expectations)
        checks += len(expectations)
    audit_count, audit_failures = _audits(con, run_id)
    report = QualityReport(run_id, not (failures or audit_failures), failures + audit_failures, checks + audit_count)
    set_run_status(con, run_id, "ok" if report.passed else "failed_quality", None if report.passed else report.summary())
    return report


def run_status(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """The stored status of a run and why."""
    found = rows(con, "SELECT run_id, status, status_reason FROM runs WHERE run_id = ?", [run_id])
    return found[0] if found else {}


def check(db_path: Path, run_id: str) -> QualityReport:
    """Open the store and gate one run."""
    with opened(db_path) as con:
        return check_run(con, run_id)
