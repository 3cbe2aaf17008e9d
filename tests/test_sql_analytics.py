"""Each analytics query on tiny hand-made rows, asserting exact output rows."""

from __future__ import annotations

from datetime import timedelta


import pytest
from click.testing import CliRunner

from costbench.store import analytics
from costbench.errors import StoreError
from costbench.store.db import query
from tests.sql_fixtures import CHANGE_AT, D, add_call, add_entries, add_run, db, rollup

BEFORE = CHANGE_AT - timedelta(days=2)
AFTER = CHANGE_AT + timedelta(days=2)


@pytest.fixture
def con():
    con = db()
    add_entries(con)
    add_run(con, "r-before", BEFORE)
    add_run(con, "r-after", AFTER)
    add_run(con, "r-bad", AFTER + timedelta(days=1), status="failed_quality")
    # before: 1M uncached + 0 read + 1M out at 1.00/2.00 → $3.00 per call; 2 attempts, 1 solved
    add_call(con, "r-before", "b1", BEFORE, uncached=1_000_000, read=0, out=1_000_000, passed=True,
             total_usd=D("3.00"), entry="deepseek/x@2025-01-01")
    add_call(con, "r-before", "b2", BEFORE, uncached=1_000_000, read=0, out=1_000_000, passed=False,
             total_usd=D("3.00"), entry="deepseek/x@2025-01-01")
    # after: half the input now read from cache, output doubled; 0.5M×0.50 + 0.5M×0.05 + 2M×0.50 = 1.275 per call
    add_call(con, "r-after", "a1", AFTER, uncached=500_000, read=500_000, out=2_000_000, passed=True,
             total_usd=D("1.275"), entry="deepseek/x@2025-09-29")
    add_call(con, "r-after", "a2", AFTER, uncached=500_000, read=500_000, out=2_000_000, passed=True,
             total_usd=D("1.275"), entry="deepseek/x@2025-09-29", reported=D("1.30"))
    # quarantined run: excluded by default
    add_call(con, "r-bad", "q1", AFTER + timedelta(days=1), uncached=1, read=0, out=1, passed=True,
             total_usd=D("100"), entry="deepseek/x@2025-09-29")
    rollup(con)
    return con


def test_cost_per_solved_task_counts_failed_attempts_and_skips_quarantine(con) -> None:
    (row,) = query(con, "analytics/cost_per_solved_task")
    assert (row["attempts"], row["solved"]) == (4, 3)
    assert row["spend_usd"] == D("8.55")              # 3 + 3 + 1.275 + 1.275
    assert row["cost_per_solved_task_usd"] == D("2.85")


def test_leaderboard_ci_and_effective_vs_advertised(con) -> None:
    (row,) = query(con, "analytics/leaderboard")
    assert row["cost_per_solved_task_usd"] == D("2.85")
    assert row["cpst_ci_low_usd"] <= row["cost_per_solved_task_usd"] <= row["cpst_ci_high_usd"]
    # advertised = entries in force during the data, weighted by calls: 2 calls at 1.00 / 2.00, 2 at 0.50 / 0.50
    assert (row["advertised_input_per_mtok_usd"], row["advertised_output_per_mtok_usd"]) == (D("0.75"), D("1.25"))
    assert row["advertised_entries"] == "deepseek/x@2025-01-01, deepseek/x@2025-09-29"
    # list cost of the mix: before 2×(1M×1 + 1M×2) = 6; after 2×(1M×0.5 + 2M×0.5) = 3 → $9 over 10M tokens
    assert row["advertised_blended_per_mtok_usd"] == D("0.9")
    assert row["effective_per_mtok_usd"] == D("0.855")   # $8.55 over 10M tokens
    assert row["cache_hit_rate"] == pytest.approx(1 / 4)  # 1M read of 4M input
    assert query(con, "analytics/leaderboard") == query(con, "analytics/leaderboard")  # deterministic


def test_leaderboard_never_advertises_a_future_entry(con) -> None:
    con.execute("INSERT INTO price_entries SELECT * REPLACE ('deepseek/x@2027-01-01' AS entry_id, "
                "TIMESTAMPTZ '2027-01-01 00:00:00+00' AS effective_from, 9 AS input_uncached_per_mtok, 9 AS output_per_mtok) "
                "FROM price_entries WHERE entry_id = 'deepseek/x@2025-09-29'")
    (row,) = query(con, "analytics/leaderboard")
    assert (row["advertised_input_per_mtok_usd"], row["advertised_output_per_mtok_usd"]) == (D("0.75"), D("1.25"))
    assert "2027" not in row["advertised_entries"]


P31 = 2**31 - 1


def _pick(provider_model: str, rep: int, i: int, n: int) -> int:
    """stable_pick (migration 0008) written again in Python: md5 seed, three multiply-mod-(2^31-1) rounds."""
    import hashlib

    z = (int(hashlib.md5(provider_model.encode()).hexdigest()[:7], 16) ^ (rep * 65537 + i)) % P31
    for a, shift in ((48271, 13), (69621, 17)):
        z = (z * a) % P31
        z ^= z >> shift
    return (z * 48271) % P31 % n


def test_leaderboard_bootstrap_is_md5_defined(con) -> None:
    """The CI replicated in Python (stable across DuckDB versions), and fixed figures."""
    (row,) = query(con, "analytics/leaderboard")
    # clusters (night/task pairs, sorted): r-after/t1 = $2.55 over 2 solved, r-before/t1 = $6 over 1 solved
    units = [(D("2.55"), 2), (D("6.00"), 1)]
    reps = []
    for rep in range(200):
        picks = [units[_pick("deepseek/x", rep, i, 2)] for i in range(2)]
        spend, solved = sum(p[0] for p in picks), sum(p[1] for p in picks)
        reps.append((spend * 10**12 // solved) / D(10**12))
    reps.sort()
    # quantile_disc(q) = the value at index ceil(q × n) - 1 (1-based position ceil(q × n))
    assert (row["cpst_ci_low_usd"], row["cpst_ci_high_usd"]) == (reps[4], reps[194])
    assert (row["cpst_ci_low_usd"], row["cpst_ci_high_usd"]) == (D("1.275"), D("6"))


def test_price_change_decomposition_adds_up_exactly(con) -> None:
    (row,) = query(con, "analytics/price_changes", window_days=7)
    assert row["entry_id"] == "deepseek/x@2025-09-29" and row["billing_lag_days"] == 4  # announced 09-27, billed 10-01
    assert (row["advertised_input_change_pct"], row["advertised_output_change_pct"]) == (-50.0, -75.0)
    assert row["advertised_blended_change_pct"] == pytest.approx((2 * 0.5 + 2 * 0.5) / 6 * 100 - 100)
    assert (row["cpst_before_usd"], row["cpst_after_usd"]) == (D("6"), D("1.275"))
    # price effect: before usage (2M in, 2M out over 1 solved) re-priced: 2M×(-0.5) + 2M×(-1.5) = -4
    assert row["price_effect_usd"] == D("-4")
    # cache effect: before input 2M with the after mix (50 % read) at new prices: 1M×0.5 + 1M×0.05 - 2M×0.5 = -0.45
    assert row["cache_effect_usd"] == D("-0.45")
    assert row["usage_effect_usd"] == D("1.275") - D("6") - D("-4") - D("-0.45")
    assert row["price_effect_usd"] + row["cache_effect_usd"] + row["usage_effect_usd"] == D("1.275") - D("6")
    assert row["measured_cpst_change_pct"] == pytest.approx(-78.75)
    assert (row["calls_before"], row["calls_after"]) == (2, 2)


def test_breakdown_history_runs_and_reconciliation(con) -> None:
    history = query(con, "analytics/price_history")
    assert [h["entry_id"] for h in history] == ["deepseek/x@2025-01-01", "deepseek/x@2025-09-29"]
    runs = {r["run_id"]: r for r in query(con, "analytics/run_history")}
    assert runs["r-bad"]["status"] == "failed_quality" and runs["r-bad"]["spend_usd"] == D("100")
    (rec,) = query(con, "analytics/reported_vs_computed")
    assert (rec["reported_usd"], rec["computed_usd"], rec["delta_usd"]) == (D("1.3"), D("1.275"), D("0.025"))
    ratio = query(con, "analytics/output_input_ratio")[0]["output_input_ratio"]
    assert ratio == pytest.approx(6 / 4)
    nights = query(con, "analytics/nightly_cost")
    assert [(n["night"].isoformat(), n["cost_per_solved_task_usd"]) for n in nights] == [
        ("2025-09-27", D("6")), ("2025-10-01", D("1.275"))]


def test_query_runner_params_and_formats(con) -> None:
    with pytest.raises(StoreError, match="Did you mean: price_changes"):
        analytics.run(con, "price_change", {})
    with pytest.raises(StoreError, match="takes no parameter 'days'"):
        analytics.run(con, "price_changes", {"days": 3})
    rows = analytics.run(con, "cost_per_solved_task", {})
    assert '"cost_per_solved_task_usd": "2.850000000000"' in analytics.to_json(rows)
    assert analytics.to_csv(rows).splitlines()[0].startswith("provider,model")
    assert analytics.parse_value("7") == 7 and analytics.parse_value("2025-09-29").isoformat() == "2025-09-29"
    assert {"leaderboard", "price_changes", "task_stats"} <= set(analytics.catalog())
    assert analytics.catalog()["price_changes"].params == ["window_days"]


def test_cli_query_list_and_errors(tmp_path) -> None:
    from costbench.cli import main

    listed = CliRunner().invoke(main, ["query", "--list"])
    assert "price_changes ($window_days)" in listed.output and "Grain:" in listed.output
    bad = CliRunner().invoke(main, ["query", "leaderbord", "--db", str(tmp_path / "x.duckdb")])
    assert bad.exit_code == 1 and "Did you mean: leaderboard" in bad.output


def test_bootstrap_ci_is_fixed_by_md5_not_by_the_duckdb_version() -> None:
    """Five (night, task) clusters of $1..$5 per solved task: the 95 % interval is fixed by stable_pick."""
    from tests.sql_fixtures import add_entries as entries

    con = db()
    entries(con)
    add_run(con, "r1", BEFORE)
    for i in range(1, 6):
        add_call(con, "r1", f"c{i}", BEFORE, uncached=1, read=0, out=1, passed=True, total_usd=D(i),
                 entry="deepseek/x@2025-01-01", task=f"t{i}")
    rollup(con)
    (row,) = query(con, "analytics/leaderboard")
    reps = sorted(sum(D(1 + _pick("deepseek/x", rep, i, 5)) for i in range(5)) / 5 for rep in range(200))
    assert (row["cpst_ci_low_usd"], row["cpst_ci_high_usd"]) == (reps[4], reps[194])
    assert (row["cpst_ci_low_usd"], row["cpst_ci_high_usd"]) == (D("1.8"), D("4.2"))  # from the Python replication
