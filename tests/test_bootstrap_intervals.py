"""Bootstrap intervals kept by their clusters' key (migration 0015): the same as a fresh draw, read instead of redrawn,
redrawn when the clusters change, kept after the quality gate; the per-category draws replicated in Python."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from costbench.store.db import query, rows
from costbench.store.intervals import keep_intervals
from costbench.store.quality import check_run
from tests.category_fixtures import D, NIGHT, add_attempts, finish
from tests.sql_fixtures import add_call, add_entries, add_run, db, rollup
from tests.test_sql_analytics import _pick

BOARDS = ("leaderboard", "category_leaderboard")


def _store(nights: int = 3) -> duckdb.DuckDBPyConnection:
    """deepseek/x and an/c over ``nights`` nights, two categories; spends and outcomes differ night by night."""
    con = db()
    for night in range(nights):
        add_run(con, f"r{night}", NIGHT + timedelta(days=night))
        _night(con, night)
    finish(con)
    return con


def _night(con: duckdb.DuckDBPyConnection, night: int) -> None:
    at = NIGHT + timedelta(days=night)
    add_attempts(con, f"r{night}", at, "deepseek/x", "t1", "math", [True, night % 2 == 0, False], D(f"0.{night + 1}"))
    add_attempts(con, f"r{night}", at, "deepseek/x", "t2", "code", [True, True], D("0.05") * (night + 1))
    add_attempts(con, f"r{night}", at, "an/c", "t1", "math", [night != 1, True], D(f"0.0{night + 2}"))


def _kept(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    return {r["clusters_md5"]: (r["low_usd"], r["high_usd"]) for r in rows(con, "SELECT * FROM bootstrap_intervals")}


def _boards(con: duckdb.DuckDBPyConnection) -> list[list[dict]]:
    return [query(con, f"analytics/{name}", **({"window_days": 14, "roles": "{}"} if "category" in name else {}))
            for name in BOARDS]


def test_a_kept_interval_is_the_one_a_fresh_draw_gives() -> None:
    con = _store()
    fresh = _boards(con)  # nothing kept yet: every interval drawn on read
    assert _kept(con) == {}
    added = keep_intervals(con)
    keys = {r["cpst_ci_key"] for board in fresh for r in board}
    assert added == len(keys) == 2 + 3  # 2 models; x in math and code, c in math
    assert _kept(con) == {r["cpst_ci_key"]: (r["cpst_ci_low_usd"], r["cpst_ci_high_usd"]) for b in fresh for r in b}
    assert _boards(con) == fresh
    assert keep_intervals(con) == 0  # nothing new to draw


def test_a_kept_interval_is_read_and_new_clusters_are_drawn_again() -> None:
    con = _store()
    keep_intervals(con)
    (x,) = [r for r in query(con, "analytics/leaderboard") if r["model"] == "x"]
    con.execute("UPDATE bootstrap_intervals SET low_usd = 123 WHERE clusters_md5 = $k", {"k": x["cpst_ci_key"]})
    (read,) = [r for r in query(con, "analytics/leaderboard") if r["model"] == "x"]
    assert read["cpst_ci_low_usd"] == D(123)  # read from the table, not drawn
    add_run(con, "r3", NIGHT + timedelta(days=3))  # a new night: new clusters, a new key
    _night(con, 3)
    rollup(con)
    (after,) = [r for r in query(con, "analytics/leaderboard") if r["model"] == "x"]
    assert after["cpst_ci_key"] != x["cpst_ci_key"] and after["cpst_ci_low_usd"] != D(123)
    con.execute("DELETE FROM bootstrap_intervals")
    assert [r for r in query(con, "analytics/leaderboard") if r["model"] == "x"] == [after]  # = a fresh draw
    keep_intervals(con)
    assert x["cpst_ci_key"] not in _kept(con) and len(_kept(con)) == 5  # the stale key is dropped


def test_the_quality_gate_keeps_the_intervals_of_the_runs_that_pass() -> None:
    con = db()
    add_entries(con)
    at = NIGHT + timedelta(days=1)
    add_run(con, "r1", at, status="running")
    for i in range(3):
        add_call(con, "r1", f"r1-{i}", at, uncached=10, read=5, out=7, passed=i != 2, total_usd=D(f"0.{i + 1}"),
                 entry="deepseek/x@2025-09-29", task=f"t{i}")
    rollup(con)
    assert _kept(con) == {}
    assert check_run(con, "r1").passed
    (board,) = query(con, "analytics/leaderboard")
    (category,) = query(con, "analytics/category_leaderboard", window_days=14, roles="{}")
    assert set(_kept(con)) == {board["cpst_ci_key"], category["cpst_ci_key"]} and board["attempts"] == 3


@pytest.mark.parametrize("roles", ["{}", '{"all": ["math"]}'])
def test_category_intervals_are_stable_pick_draws(roles: str) -> None:
    """Five (night, task) clusters of $1..$5 per solved task; draws seeded by md5('provider/model/group')."""
    con = db()
    add_run(con, "r0", NIGHT)
    for i in range(1, 6):
        add_attempts(con, "r0", NIGHT, "deepseek/x", f"t{i}", "math", [True], D(i))
    finish(con)
    (row,) = query(con, "analytics/category_leaderboard", window_days=14, roles=roles)
    group = "math" if roles == "{}" else "all"
    reps = sorted(sum(D(1 + _pick(f"deepseek/x/{group}", rep, i, 5)) for i in range(5)) / 5 for rep in range(200))
    # quantile_disc(q) = the value at 1-based position ceil(q × 200): 5 and 195
    assert (row["cpst_ci_low_usd"], row["cpst_ci_high_usd"]) == (reps[4], reps[194])
    assert row["cpst_ci_low_usd"] < D(3) < row["cpst_ci_high_usd"]
