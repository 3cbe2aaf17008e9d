"""Read commands (query, quality, db status, report) find the demo store, never create an empty one, and
turn bad input into one line; `cost` says it expects one usage object."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from costbench.cli import main
from tests.conftest import ROOT
from tests.report_fixtures import build_store

CONFIG = f"""
[paths]
db = "var/costbench.duckdb"
catalog = "{(ROOT / 'tasks_catalog').as_posix()}"

[providers.deepseek]
dialect = "deepseek"

[[models]]
provider = "deepseek"
model = "deepseek-chat"
"""


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "costbench.toml").write_text(CONFIG)
    return tmp_path


def _run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


def test_no_store_anywhere_is_one_line_and_creates_nothing(workdir) -> None:
    for args in (["query", "leaderboard"], ["quality", "r1"], ["db", "status"], ["report"]):
        result = _run(*args)
        assert result.exit_code == 1, args
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: No database at ") and "--db FILE" in lines[0], args
        assert "costbench demo" in lines[0]
    assert not (workdir / "var").exists()
    missing = _run("query", "leaderboard", "--db", "nope.duckdb")
    assert missing.exit_code == 1 and "--db nope.duckdb: no such database" in missing.output
    assert not (workdir / "nope.duckdb").exists()


def test_read_commands_fall_back_to_the_demo_store(workdir) -> None:
    build_store(workdir / "var/demo/costbench.duckdb")
    result = _run("query", "leaderboard")
    assert result.exit_code == 0, result.output
    assert "reading the demo's var/demo/costbench.duckdb" in result.output
    assert not (workdir / "var/costbench.duckdb").exists()
    # fixture: deepseek/x solves 2 of 3 cases every night → 66.7 %; spend 9 × $0.0019 + 12 × $0.0007 = $0.0255
    line = next(x for x in result.output.splitlines() if x.startswith("deepseek"))
    assert "66.7\u00a0%" in line and "$0.0255" in line and "0.6666" not in line
    zero = next(x for x in result.output.splitlines() if "zero" in x)
    assert "—" in zero                                   # no solved task: no cost, never 0
    assert "cpst_ci_key" not in result.output            # the interval's key is in csv and json, not the table


def test_db_status_prints_row_counts(workdir) -> None:
    build_store(workdir / "var/demo/costbench.duckdb")
    result = _run("db", "status")
    assert result.exit_code == 0, result.output
    counts = {p[0]: p[1] for p in (x.split() for x in result.output.splitlines()) if len(p) == 3 and p[2] == "rows"}
    # 7 nights × (3 deepseek/x + 3 mistral/y + 1 mistral/zero) calls, all graded and priced
    assert counts["runs"] == "7" and counts["calls"] == "49" and counts["grades"] == "49" and counts["costs"] == "49"
    assert "applied  0001_create_runs_calls_grades" in result.output


def test_unknown_run_names_the_latest_runs_and_the_other_store(workdir) -> None:
    build_store(workdir / "var/demo/costbench.duckdb")
    build_store(workdir / "var/costbench.duckdb")
    result = _run("quality", "r99", "--db", "var/demo/costbench.duckdb")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "Unknown run 'r99'" in result.output and "Latest runs there: r6, r5, r4" in result.output
    assert "pass --db " in result.output and "var/costbench.duckdb" in result.output


def test_param_type_errors_are_one_line(workdir) -> None:
    build_store(workdir / "var/demo/costbench.duckdb")
    result = _run("query", "price_changes", "--param", "window_days=abc")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --param window_days=abc: query 'price_changes' expects an integer, e.g. 7"


def test_json_keeps_exact_decimals_without_exponents(workdir) -> None:
    build_store(workdir / "var/demo/costbench.duckdb")
    result = _run("query", "leaderboard", "--format", "json")
    rows = json.loads(result.output[result.output.index("["):])
    x = next(r for r in rows if r["model"] == "x")
    assert x["spend_usd"] == "0.025500000000"
    assert "E-" not in result.output
    assert len(x["cpst_ci_key"]) == 32  # md5 of the clusters (migration 0015): the interval can be traced


def test_cost_says_it_expects_one_usage_object(workdir) -> None:
    usages = json.dumps([{"input_uncached_tokens": 1000}, {"output_tokens": 5}])
    result = _run("cost", "--usage", "-", "--model", "deepseek/deepseek-chat", "--at", "2025-10-01T02:00:00Z",
                  stdin=usages)
    assert result.exit_code == 1
    assert result.output.startswith("Error: -: expects one usage object, got a JSON list of 2;")
    assert "Traceback" not in result.output


def test_estimate_is_labelled_a_worst_case_next_to_the_last_actual_spend(workdir) -> None:
    build_store(workdir / "var/demo/costbench.duckdb")
    result = _run("estimate", "--at", "2025-10-01T02:00:00Z")
    assert result.exit_code == 0, result.output
    header, columns = result.output.splitlines()[:2]
    assert "a worst case (every answer at max_output_tokens, no cache hits)" in header
    assert "last actual = run r6 in var/demo/costbench.duckdb" in header
    assert columns.split() == ["model", "worst", "case", "last", "actual"]
    # the fixture's latest run r6: 3 × $0.0007 (deepseek/x) + 3 × $0.0042 (mistral/y) + $0.0011 (mistral/zero)
    total = next(x for x in result.output.splitlines() if x.strip().startswith("total ("))
    assert total.split()[-1] == "$0.0158"


def test_a_damaged_or_unmigrated_store_is_one_clear_line(workdir) -> None:
    (workdir / "junk.duckdb").write_text("not a database")
    junk = _run("query", "leaderboard", "--db", "junk.duckdb")
    assert junk.exit_code == 1 and junk.output.count("\n") == 1
    assert "not a valid DuckDB database file" in junk.output and "another costbench process" not in junk.output
    build_store(workdir / "old.duckdb")
    con = duckdb.connect(str(workdir / "old.duckdb"))  # as before migrations 0016 and 0017
    con.execute("DELETE FROM _costbench_migrations WHERE name >= '0016'")
    for drop in ("MACRO TABLE bootstrap_ci", "MACRO TABLE task_totals_rows", "MACRO TABLE task_run_totals",
                 "TABLE task_totals", "TABLE task_totals_runs"):
        con.execute(f"DROP {drop}")
    con.close()
    for args in (["query", "leaderboard"], ["db", "check"]):
        old = _run(*args, "--db", "old.duckdb")
        assert old.exit_code == 1 and old.output.count("\n") == 1, old.output
        assert "predates 2 migration(s) (0016_create_task_totals" in old.output
        assert "costbench db migrate --db FILE" in old.output
