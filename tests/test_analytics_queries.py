"""cost_breakdown, task_stats, reasoning_share, cost_by_hour and cache_hit_rate on tiny hand-made rows.

Two models, one run that passed the gate and one quarantined run (whose rows every query must ignore).
Every expected figure below is worked out by hand from the rows, in the comments next to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest

from costbench.store.db import query
from tests.sql_fixtures import rollup, add_run, db

D = Decimal
NIGHT = datetime(2025, 6, 10, 2, 0, tzinfo=UTC)


def _call(con: duckdb.DuckDBPyConnection, run_id: str, call_id: str, *, provider: str, model: str, task: str,
          at: datetime, tokens: tuple[int, int, int, int, int, int], costs: tuple[str, str, str, str, str],
          fx: str = "1", window: str | None = None, passed: bool | None = None, status: str = "ok") -> None:
    """One call with its usage (uncached, read, write 5m, write 1h, output, reasoning) and native costs."""
    uncached, read, w5, w1, out, reasoning = tokens
    con.execute(
        """INSERT INTO calls VALUES (?, ?, 'main', ?, ?, 'x', ?, 1, 'math', ?, 0, 0, true, ?, 10, 1, ?, 200, NULL, 'a',
           ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, true, ?, NULL, NULL)""",  # charged_usd, cost_estimate
        [call_id, run_id, provider, model, task, call_id, at, status, uncached, read, w5, w1, out, reasoning, at])
    native = [D(c) for c in costs]
    total = sum(native, D(0))
    con.execute("INSERT INTO costs VALUES (?, ?, 'e', 'pb1', 'X', ?, ?, ?, ?, ?, 0, ?, ?, ?, NULL, ?, NULL, false, ?, false, NULL, NULL)",  # estimated, estimate_reason, billed_entry_id
                [call_id, run_id, *native, total, D(fx), total * D(fx), window, at])
    if passed is not None:
        con.execute("INSERT INTO grades VALUES (?, ?, 'exact', ?, ?, 'r')", [call_id, run_id, float(passed), passed])


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = db()
    add_run(con, "ok", NIGHT)
    add_run(con, "bad", NIGHT, status="failed_quality")
    # "ds/v" bills in a currency worth 0.5 USD; costs are native (uncached, read, write 5m, write 1h, output).
    _call(con, "ok", "d1", provider="ds", model="v", task="t1", at=NIGHT, tokens=(100, 300, 0, 0, 50, 0),
          costs=("0.10", "0.03", "0", "0", "0.20"), fx="0.5", window="off-peak", passed=True)
    _call(con, "ok", "d2", provider="ds", model="v", task="t1", at=NIGHT.replace(hour=9),
          tokens=(400, 0, 0, 0, 150, 0), costs=("0.40", "0", "0", "0", "0.60"), fx="0.5", passed=False)
    _call(con, "ok", "d3", provider="ds", model="v", task="t2", at=NIGHT.replace(hour=9), tokens=(200, 200, 0, 0, 100, 0),
          costs=("0.20", "0.02", "0", "0", "0.40"), fx="0.5", passed=True)
    # "an/c" in USD, with cache writes and reasoning; one failed call (no cost row, no grade).
    _call(con, "ok", "a1", provider="an", model="c", task="t1", at=NIGHT, tokens=(10, 500, 200, 100, 80, 30),
          costs=("0.03", "0.15", "0.75", "0.60", "1.20"), passed=True)
    _call(con, "ok", "a2", provider="an", model="c", task="t1", at=NIGHT, tokens=(10, 700, 0, 0, 120, 90),
          costs=("0.03", "0.21", "0", "0", "1.80"), passed=False)
    con.execute("""INSERT INTO calls VALUES ('a3', 'ok', 'main', 'an', 'c', 'x', 't1', 1, 'math', 'a3', 0, 0, true, ?,
                   10, 3, 'error', 503, 'overloaded', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   true, ?, NULL, NULL)""", [NIGHT, NIGHT])
    # The quarantined run: large figures that would show anywhere they leaked.
    _call(con, "bad", "q1", provider="ds", model="v", task="t1", at=NIGHT, tokens=(10**6, 10**6, 0, 0, 10**6, 10**6),
          costs=("100", "100", "0", "0", "100"), fx="0.5", passed=True)
    rollup(con)  # the daily_usage rollup, as pricing refreshes it (task_stats and nightly_cost read it)
    return con


def test_cost_breakdown_per_field_in_usd(con) -> None:
    got = {(r["provider"], r["model"], r["field"]): (r["tokens"], r["cost_usd"], r["cost_share"])
           for r in query(con, "analytics/cost_breakdown")}
    # ds/v, native × 0.5: uncached 0.10 + 0.40 + 0.20 = 0.70 → 0.35 USD; read 0.05 → 0.025; output 1.20 → 0.60.
    # Total 0.975 USD: shares 0.35 / 0.975, 0.025 / 0.975, 0.60 / 0.975.
    assert got[("ds", "v", "input_uncached")] == (700, D("0.35"), pytest.approx(0.35 / 0.975))
    assert got[("ds", "v", "cache_read")] == (500, D("0.025"), pytest.approx(0.025 / 0.975))
    assert got[("ds", "v", "output")] == (300, D("0.60"), pytest.approx(0.60 / 0.975))
    assert got[("ds", "v", "cache_write_5m")][:2] == got[("ds", "v", "request_fee")][:2] == (0, D(0))
    # an/c in USD: uncached 0.06, read 0.36, write 5m 0.75, write 1h 0.60, output 3.00; total 4.77.
    assert {f: v[:2] for (p, _, f), v in got.items() if p == "an"} == {
        "input_uncached": (20, D("0.06")), "cache_read": (1200, D("0.36")), "cache_write_5m": (200, D("0.75")),
        "cache_write_1h": (100, D("0.60")), "output": (200, D("3.00")), "request_fee": (0, D(0))}
    assert sum(v[2] for (p, _, _), v in got.items() if p == "an") == pytest.approx(1.0)


def test_task_stats_per_model_and_task(con) -> None:
    got = {(r["provider"], r["model"], r["task_id"]): r for r in query(con, "analytics/task_stats")}
    assert set(got) == {("ds", "v", "t1"), ("ds", "v", "t2"), ("an", "c", "t1")}
    t1 = got[("ds", "v", "t1")]
    # d1 solved, d2 not: spend (0.33 + 1.00) × 0.5 = 0.665 USD over 1 solved case.
    assert (t1["attempts"], t1["solved"], t1["success_rate"]) == (2, 1, 0.5)
    assert (t1["spend_usd"], t1["cost_per_solved_task_usd"]) == (D("0.665"), D("0.665"))
    # inputs per call: d1 100 + 300 = 400, d2 400 → avg 400; outputs (50 + 150) / 2 = 100.
    assert (t1["avg_input_tokens"], t1["avg_output_tokens"]) == (400.0, 100.0)
    an = got[("an", "c", "t1")]
    # a1 0.03 + 0.15 + 0.75 + 0.60 + 1.20 = 2.73, a2 0.03 + 0.21 + 1.80 = 2.04: 4.77 USD (the failed a3 costs
    # nothing), 1 solved of 2 graded.
    assert (an["attempts"], an["solved"], an["spend_usd"], an["cost_per_solved_task_usd"]) == (2, 1, D("4.77"),
                                                                                               D("4.77"))
    assert got[("ds", "v", "t2")]["cost_per_solved_task_usd"] == D("0.31")  # 0.62 × 0.5, one solved


def test_reasoning_share_counts_ok_calls_of_good_runs(con) -> None:
    got = {(r["provider"], r["model"]): r for r in query(con, "analytics/reasoning_share")}
    # an/c: (30 + 90) reasoning of (80 + 120) output = 0.6; ds/v reasons not at all.
    assert (got[("an", "c")]["reasoning_tokens"], got[("an", "c")]["output_tokens"]) == (120, 200)
    assert got[("an", "c")]["reasoning_share"] == pytest.approx(0.6)
    assert (got[("ds", "v")]["reasoning_tokens"], got[("ds", "v")]["reasoning_share"]) == (0, 0.0)


def test_cost_by_hour_splits_by_utc_hour_and_names_the_window(con) -> None:
    got = {(r["provider"], r["model"], r["hour_utc"]): r for r in query(con, "analytics/cost_by_hour")}
    assert set(got) == {("ds", "v", 2), ("ds", "v", 9), ("an", "c", 2)}
    two, nine = got[("ds", "v", 2)], got[("ds", "v", 9)]
    # 02:00: d1 alone, 0.33 × 0.5 = 0.165 USD, off-peak; 09:00: d2 0.50 + d3 0.31 = 0.81 USD, 0.405 per call.
    assert (two["calls"], two["spend_usd"], two["cost_per_call_usd"], two["time_windows"]) == (
        1, D("0.165"), D("0.165"), ["off-peak"])
    assert (nine["calls"], nine["spend_usd"], nine["cost_per_call_usd"], nine["time_windows"]) == (
        2, D("0.81"), D("0.405"), None)  # no window at 09:00
    # an/c at 02:00: 2.73 + 2.04 = 4.77 over 2 priced calls (the failed one has no cost row).
    assert (got[("an", "c", 2)]["calls"], got[("an", "c", 2)]["spend_usd"]) == (2, D("4.77"))


def test_cache_hit_rate_over_all_input(con) -> None:
    got = {(r["provider"], r["model"]): r for r in query(con, "analytics/cache_hit_rate")}
    ds, an = got[("ds", "v")], got[("an", "c")]
    # ds/v: read 300 + 200 = 500 of input 400 + 400 + 400 = 1,200; nothing written.
    assert (ds["cache_read_tokens"], ds["cache_write_tokens"], ds["input_tokens"]) == (500, 0, 1200)
    assert (ds["cache_hit_rate"], ds["cache_write_rate"]) == (pytest.approx(500 / 1200), 0.0)
    # an/c: read 1,200, written 300, input 810 + 710 = 1,520 (the failed call has no usage and is skipped).
    assert (an["cache_read_tokens"], an["cache_write_tokens"], an["input_tokens"]) == (1200, 300, 1520)
    assert (an["cache_hit_rate"], an["cache_write_rate"]) == (pytest.approx(1200 / 1520), pytest.approx(300 / 1520))
