"""The data-quality gate: GX suites + SQL audits; failing runs are quarantined with a readable summary."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner

from costbench.cli import main
from costbench.store.quality import check_run, results
from costbench.store.db import connect, migrate, query, rows
from tests.sql_fixtures import D, add_call, add_entries, add_run, db

AT = datetime(2025, 10, 1, tzinfo=UTC)


def _good(con, run_id: str = "r1") -> None:
    add_run(con, run_id, AT, status="running")
    add_call(con, run_id, f"{run_id}-c1", AT, uncached=10, read=5, out=7, reasoning=3, passed=True, total_usd=D("0.1"),
             entry="deepseek/x@2025-09-29")


def test_a_clean_run_passes_every_check() -> None:
    con = db()
    add_entries(con)
    _good(con)
    report = check_run(con, "r1")
    assert report.passed, report.summary()
    assert rows(con, "SELECT status FROM runs")[0]["status"] == "ok"
    stored = results(con, "r1")
    assert len(stored) == report.checks and all(r["passed"] for r in stored)
    assert {r["kind"] for r in stored} == {"gx", "audit", "warn", "reconciliation"}


def test_inconsistent_tokens_quarantine_the_run_with_reasons() -> None:
    con = db()
    add_entries(con)
    _good(con)
    add_call(con, "r1", "bad", AT, uncached=10, read=0, out=2, reasoning=9, passed=False, total_usd=D("0.1"),
             entry="deepseek/x@2025-09-29")
    add_call(con, "r1", "stranger", AT, uncached=-5, read=0, out=1, passed=False, total_usd=D("0.1"),
             entry="deepseek/x@2025-09-29", provider="acme", model="y")
    report = check_run(con, "r1")
    assert not report.passed
    failed = {r["check_name"] for r in results(con, "r1") if not r["passed"]}
    assert "reasoning_exceeds_output" in failed and "unknown_models" in failed
    assert "calls: expect_column_pair_values_a_to_be_greater_than_b output_tokens reasoning_tokens" in failed
    assert "calls: expect_column_values_to_be_between input_uncached_tokens" in failed
    run = rows(con, "SELECT status, status_reason FROM runs")[0]
    assert run["status"] == "failed_quality" and "reasoning_exceeds_output" in run["status_reason"]
    assert query(con, "analytics/cost_per_solved_task") == []  # quarantined: excluded from analytics


def test_unpriced_call_fails_the_cost_audit() -> None:
    con = db()
    add_entries(con)
    _good(con)
    con.execute("DELETE FROM costs")
    report = check_run(con, "r1")
    assert any("ok_calls_without_cost" in f for f in report.failures)


def test_cli_quality_shows_checks(tmp_path) -> None:
    path = tmp_path / "q.duckdb"
    con = connect(path)
    migrate(con)
    add_entries(con)
    _good(con, "r9")
    check_run(con, "r9")
    con.close()
    out = CliRunner().invoke(main, ["quality", "r9", "--db", str(path)])
    assert out.exit_code == 0 and out.output.startswith("run r9: ok")
    unknown = CliRunner().invoke(main, ["quality", "r8", "--db", str(path)])
    assert unknown.exit_code == 1 and "Did you mean: r9" in unknown.output


def test_calls_disagreeing_with_the_providers_figure_fail_the_gate() -> None:
    con = db()
    add_entries(con)
    _good(con)
    # 1 of 2 xAI-like calls has a provider figure 0.02 above the computed 0.1: a 50 % flagged share > 5 %
    for call_id, reported in (("r1-x1", D("0.1")), ("r1-x2", D("0.12"))):
        add_call(con, "r1", call_id, AT, uncached=10, read=0, out=1, passed=True, total_usd=D("0.1"),
                 entry="deepseek/x@2025-09-29", reported=reported)
    con.execute("UPDATE costs SET reconciliation_delta_usd = 0.02, reconciliation_flag = true WHERE call_id = 'r1-x2'")
    report = check_run(con, "r1")
    assert not report.passed
    (bad,) = [r for r in results(con, "r1") if not r["passed"]]
    assert bad["check_name"] == "reconciliation_flagged_share" and bad["failing_rows"] == 1
    assert "deepseek/x: 1 of 2 calls differ from the provider's figure (total 0.020000000000 USD)" in bad["detail"]
