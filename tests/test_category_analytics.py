"""`costbench query category_leaderboard`: Wilson interval, bootstrap cost per solved, window, roles, baselines."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from costbench.store import analytics
from tests.category_fixtures import D, add_attempts, finish, nights
from tests.sql_fixtures import db


@pytest.fixture
def con():
    con = db()
    (r0, at0), (r1, at1) = nights(con, 2)
    add_attempts(con, r0, at0, "deepseek/x", "t1", "math", [True, True, True, False], D("0.1"))
    add_attempts(con, r1, at1, "deepseek/x", "t1", "math", [True] * 4, D("0.1"))
    add_attempts(con, r0, at0, "deepseek/x", "t2", "code", [False, False], D("0.25"))
    add_attempts(con, r0, at0, "baseline/jieba", "t1", "math", [True] * 4, D(0))
    add_attempts(con, r1, at1, "baseline/jieba", "t1", "math", [True] * 4, D(0))
    add_attempts(con, "old", at0.replace(month=8), "deepseek/x", "t1", "math", [False] * 10, D("1"))  # outside the window
    add_attempts(con, "bad", at1, "deepseek/x", "t1", "math", [False] * 10, D("1"))  # quarantined run
    finish(con)
    yield con
    con.close()


def _by(rows, category, model):
    return next(r for r in rows if r["category"] == category and f"{r['provider']}/{r['model']}" == model)


def test_per_category_wilson_and_bootstrap(con) -> None:
    rows = analytics.run(con, "category_leaderboard", {})  # defaults: 14 days, one row per category
    math = _by(rows, "math", "deepseek/x")
    assert (math["attempts"], math["solved"], math["nights"], math["tasks"]) == (8, 7, 2, 1)
    assert math["spend_usd"] == D("0.8")
    assert math["cost_per_solved_task_usd"] == D("0.114285714285")  # 0.8 / 7, truncated to 1e-12
    # Wilson 95 % for 7/8: centre (0.875 + 1.96²/16) / (1 + 1.96²/8), half-width 1.96/(1 + 1.96²/8)·√(…)
    assert math["success_low"] == pytest.approx(0.529105, abs=1e-6)
    assert math["success_high"] == pytest.approx(0.977583, abs=1e-6)
    # 2 (night, task) clusters: r0 $0.4 / 3 solved, r1 $0.4 / 4 → replicates are 0.1333…, 0.1142…, 0.1
    assert (math["cpst_ci_low_usd"], math["cpst_ci_high_usd"]) == (D("0.1"), D("0.133333333333"))
    code = _by(rows, "code", "deepseek/x")
    assert (code["solved"], code["success_rate"], code["cost_per_solved_task_usd"]) == (0, 0.0, None)
    assert code["success_low"] == pytest.approx(0, abs=1e-12) and code["success_high"] == pytest.approx(0.657628, abs=1e-6)
    jieba = _by(rows, "math", "baseline/jieba")
    assert (jieba["solved"], jieba["cost_per_solved_task_usd"], jieba["cpst_ci_low_usd"]) == (8, D(0), D(0))
    assert jieba["success_low"] == pytest.approx(0.675584, abs=1e-6)


def test_roles_group_categories_and_tasks(con) -> None:
    rows = analytics.run(con, "category_leaderboard", {"roles": json.dumps({"both": ["math", "t2"], "none": ["x"]})})
    both = _by(rows, "both", "deepseek/x")
    assert (both["attempts"], both["solved"], both["spend_usd"]) == (10, 7, D("1.3"))
    assert both["success_low"] == pytest.approx(0.396773, abs=1e-6)
    assert {r["category"] for r in rows} == {"both"}  # a role that matches nothing has no rows


def test_window_counts_back_from_the_latest_run(con) -> None:
    rows = analytics.run(con, "category_leaderboard", {"window_days": 1})  # only r1 (the latest) is inside
    math = _by(rows, "math", "deepseek/x")
    assert (math["attempts"], math["solved"], math["nights"]) == (4, 4, 1)


def test_cli_query_category_leaderboard(tmp_path, con) -> None:
    from costbench.cli import main

    path = tmp_path / "cb.duckdb"
    con.execute(f"ATTACH '{path}' AS f")
    con.execute("COPY FROM DATABASE memory TO f")
    con.execute("DETACH f")
    out = CliRunner().invoke(main, ["query", "category_leaderboard", "--db", str(path), "--format", "json",
                                    "--param", "window_days=14"])
    assert out.exit_code == 0, out.output
    got = {(r["category"], r["provider"]): r for r in json.loads(out.output)}
    assert got[("math", "deepseek")]["cost_per_solved_task_usd"] == "0.114285714285"
