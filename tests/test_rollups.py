"""The night_usage and hourly_usage rollups (migration 0013): cost_breakdown, cost_by_hour, run_history and the
leaderboard read them and must give exactly the rows their SQL of before gives from the raw tables
(tests/data/sql_before/, kept verbatim as the independent reference), plus hand-computed figures.

The store: two nights that passed the gate with FX rates 0.5, 0.6 and 1/3 (a product with 24 decimals), an
off-peak window, a request fee, failed calls (one model has nothing else), an ok call with a NULL token count,
a quarantined run and a landed run that was never priced.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from costbench.run import journal
from costbench.store.db import connect, migrate, query, rows
from costbench.store.loader import load_run
from tests import raw_reference_sql as ref
from tests.sql_fixtures import add_entries, add_run, db, rollup
from tests.test_journal import _manifest, _record, _write

D = Decimal
N1 = datetime(2025, 6, 10, 2, 0, tzinfo=UTC)
N2 = datetime(2025, 6, 11, 2, 0, tzinfo=UTC)
PICO = D("0.000000000001")


def _call(con: duckdb.DuckDBPyConnection, run_id: str, call_id: str, at: datetime, *, pm: str = "ds/v",
          tokens: tuple[int, int, int, int, int, int] = (0, 0, 0, 0, 0, 0),
          costs: tuple[str, ...] | None = None, fx: str = "1", window: str | None = None,
          passed: bool | None = None, status: str = "ok", entry: str = "e", task: str = "t1") -> None:
    """One call; ``costs`` (uncached, read, write 5m, write 1h, output, request fee), native, or None: no cost row."""
    provider, model = pm.split("/")
    names = ["input_uncached_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
             "output_tokens", "reasoning_tokens"]
    usage = dict(zip(names, tokens, strict=True)) if status == "ok" else dict.fromkeys(names)
    con.execute(
        f"""INSERT INTO calls BY NAME SELECT $call_id AS call_id, $run_id AS run_id, 'main' AS shard,
            $provider AS provider, $model AS model, 'x' AS dialect, $task AS task_id, 1 AS task_version,
            'math' AS task_category, $call_id AS case_id, 0 AS repeat_index, 0 AS turn_index, true AS is_final_turn,
            $at AS requested_at, 1 AS attempts, $status AS status, true AS simulated, $at AS landed_at,
            {', '.join(f'${n}::BIGINT AS {n}' for n in names)}""",
        {"call_id": call_id, "run_id": run_id, "provider": provider, "model": model, "task": task, "at": at,
         "status": status, **usage})
    if costs is not None:
        native = [D(c) for c in costs]
        total = sum(native, D(0))
        con.execute(
            """INSERT INTO costs BY NAME SELECT $call_id AS call_id, $run_id AS run_id, $entry AS entry_id,
               'pb1' AS pricebook_version, 'X' AS currency, $c0 AS input_uncached_cost, $c1 AS cache_read_cost,
               $c2 AS cache_write_5m_cost, $c3 AS cache_write_1h_cost, $c4 AS output_cost, $c5 AS request_fee,
               $total AS total, $fx AS fx_rate_to_usd, $usd AS total_usd, $window AS time_window,
               false AS reconciliation_flag, $at AS priced_at""",
            {"call_id": call_id, "run_id": run_id, "entry": entry, **{f"c{i}": v for i, v in enumerate(native)},
             "total": total, "fx": D(fx), "usd": (total * D(fx)).quantize(PICO), "window": window, "at": at})
    if passed is not None:
        con.execute("INSERT INTO grades VALUES (?, ?, 'exact', ?, ?, 'r')", [call_id, run_id, float(passed), passed])


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = db()
    for run_id, at, status in (("n1", N1, "ok"), ("n2", N2, "ok"), ("q", N1, "failed_quality"), ("l", N2, "landed")):
        add_run(con, run_id, at, status)
    _call(con, "n1", "d1", N1, tokens=(100, 300, 0, 0, 50, 0), costs=("0.10", "0.03", "0", "0", "0.20", "0"),
          fx="0.5", window="off-peak", passed=True)
    _call(con, "n1", "d2", N1.replace(hour=9), tokens=(400, 0, 0, 0, 150, 0),
          costs=("0.40", "0", "0", "0", "0.60", "0"), fx="0.5", passed=False)
    _call(con, "n1", "a1", N1, pm="an/c", tokens=(10, 500, 200, 100, 80, 30),
          costs=("0.03", "0.15", "0.75", "0.60", "1.20", "0.01"), passed=True)
    _call(con, "n1", "a3", N1, pm="an/c", status="error")  # failed: no usage, no cost row, no grade
    _call(con, "n2", "d3", N2.replace(minute=30), tokens=(200, 200, 0, 0, 100, 0),
          costs=("0.20", "0.02", "0", "0", "0.40", "0"), fx="0.6", window="off-peak", passed=True)
    _call(con, "n2", "d4", N2.replace(hour=9, minute=15), tokens=(1000, 0, 0, 0, 7, 0),
          costs=("0.123456789012", "0", "0", "0", "0.000000000007", "0"), fx="0.333333333333", passed=True)
    _call(con, "q", "q1", N1, tokens=(10**6, 10**6, 0, 0, 10**6, 0), costs=("100", "100", "0", "0", "100", "0"),
          fx="0.5", passed=True)
    _call(con, "l", "l1", N2, pm="an/c", tokens=(5, 0, 0, 0, 5, 0), passed=True)  # landed, not priced yet
    # an ok call whose cache-read count could not be read (NULL), unpriced; a model whose only call failed
    _call(con, "n2", "a5", N2, pm="an/c", tokens=(7, None, 0, 0, 4, 1))  # type: ignore[arg-type]
    _call(con, "n2", "e1", N2, pm="er/x", status="error")
    rollup(con)
    return con


def _sorted_windows(got: list[dict]) -> list[dict]:
    """list(DISTINCT ...) has no order in the old SQL: compare window lists as sorted lists."""
    return [{**r, "time_windows": sorted(r["time_windows"]) if r["time_windows"] else r["time_windows"]} for r in got]


def test_cost_breakdown_matches_the_raw_table_sql(con) -> None:
    new = query(con, "analytics/cost_breakdown")
    assert new == rows(con, ref.before("cost_breakdown"))
    got = {(r["provider"], r["model"], r["field"]): (r["tokens"], r["cost_usd"]) for r in new}
    # ds/v uncached: 0.10 × 0.5 + 0.40 × 0.5 + 0.20 × 0.6 + 0.123456789012 × 0.333333333333
    # = 0.05 + 0.20 + 0.12 + 0.041152263003958847736996 = 0.411152263003958847736996 → 0.411152263004 (12 places)
    assert got[("ds", "v", "input_uncached")] == (1700, D("0.411152263004"))
    # output: 0.20 × 0.5 + 0.60 × 0.5 + 0.40 × 0.6 + 0.000000000007 / 3 (0.000000000002333…) = 0.640000000002
    assert got[("ds", "v", "output")] == (307, D("0.640000000002"))
    assert got[("an", "c", "request_fee")] == (0, D("0.01"))  # the unpriced landed run l1 adds nothing
    assert got[("an", "c", "input_uncached")] == (10, D("0.03"))


def test_cost_by_hour_matches_the_raw_table_sql(con) -> None:
    new = query(con, "analytics/cost_by_hour")
    assert _sorted_windows(new) == _sorted_windows(rows(con, ref.before("cost_by_hour")))
    got = {(r["provider"], r["model"], r["hour_utc"]): r for r in new}
    two = got[("ds", "v", 2)]
    # 02:xx over both nights: d1 0.33 × 0.5 = 0.165, d3 0.62 × 0.6 = 0.372: 0.537 over 2 calls, both off-peak
    assert (two["calls"], two["spend_usd"], two["cost_per_call_usd"], two["time_windows"]) == (
        2, D("0.537"), D("0.2685"), ["off-peak"])
    nine = got[("ds", "v", 9)]
    # d2 1.00 × 0.5 = 0.5; d4 0.123456789019 × 0.333333333333 = 0.041152263006… → 0.041152263006
    assert (nine["calls"], nine["spend_usd"], nine["time_windows"]) == (2, D("0.541152263006"), None)
    assert got[("an", "c", 2)]["calls"] == 1  # a1; the failed a3 has no cost row


def test_run_history_matches_the_raw_table_sql(con) -> None:
    new = query(con, "analytics/run_history")
    assert new == rows(con, ref.before("run_history"))
    got = {r["run_id"]: r for r in new}
    # n1: d1, d2, a1, a3 (failed); spend 0.165 + 0.5 + (0.03 + 0.15 + 0.75 + 0.60 + 1.20 + 0.01) = 3.405
    assert (got["n1"]["calls"], got["n1"]["failed_calls"], got["n1"]["spend_usd"]) == (4, 1, D("3.405"))
    assert (got["l"]["calls"], got["l"]["spend_usd"], got["l"]["status"]) == (1, D(0), "landed")
    assert (got["q"]["calls"], got["q"]["status"]) == (1, "failed_quality")


def test_a_landed_run_shows_its_calls_before_pricing(tmp_path) -> None:
    _manifest(tmp_path)
    records = [_record(i) for i in range(3)] + [_record(3) | {"status": "error", "usage": None, "grade": None}]
    _write(journal.run_dir(tmp_path, "r1") / "main.jsonl", records)
    con = connect(":memory:")
    migrate(con)
    load_run(con, tmp_path, "r1")  # landing only: no costs yet
    (run,) = query(con, "analytics/run_history")
    assert (run["run_id"], run["calls"], run["failed_calls"], run["spend_usd"]) == ("r1", 4, 1, D(0))
    assert [run] == rows(con, ref.before("run_history"))


def _leaderboard_store() -> duckdb.DuckDBPyConnection:
    """deepseek/x on 11 nights across its 2025-09-29 price change (bootstrap over nights), an/c on 3 (over
    (night, task) pairs), one quarantined night and one failed call."""
    con = db()
    add_entries(con)
    for night in range(11):
        at = datetime(2025, 9, 24, 2, 0, tzinfo=UTC) + timedelta(days=night)
        entry = "deepseek/x@2025-09-29" if night >= 5 else "deepseek/x@2025-01-01"
        add_run(con, f"r{night:02}", at, "failed_quality" if night == 7 else "ok")
        for task in range(2):
            _call(con, f"r{night:02}", f"x{night}-{task}", at, pm="deepseek/x", task=f"t{task}",
                  tokens=(100 + 37 * night, 20 * task, 0, 0, 30 + 11 * task, 0), entry=entry,
                  costs=(f"0.0{night + 1}", "0.001", "0", "0", f"0.00{task + 3}", "0"), passed=(night + task) % 3 != 0)
        if night < 3:
            for task in range(3):
                _call(con, f"r{night:02}", f"c{night}-{task}", at, pm="an/c", task=f"t{task}",
                      tokens=(50, 0, 0, 0, 9, 0),
                      costs=(f"0.00{task + night + 1}", "0", "0", "0", "0.002", "0"), passed=task != night)
    _call(con, "r01", "fail", datetime(2025, 9, 25, 2, 0, tzinfo=UTC), pm="an/c", status="error")
    rollup(con)
    return con


CI = ("cpst_ci_low_usd", "cpst_ci_high_usd")


def _without(found: list[dict], *columns: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in columns} for row in found]


def test_leaderboard_from_night_usage_equals_the_daily_usage_leaderboard() -> None:
    con = _leaderboard_store()
    new = query(con, "analytics/leaderboard")
    assert _without(new, "cpst_ci_key") == rows(con, ref.before("leaderboard"))
    got = {r["model"]: r for r in new}
    # 10 nights that passed (r07 quarantined) × 2 tasks = 20 attempts; an/c 3 nights × 3 tasks = 9
    assert (got["x"]["attempts"], got["c"]["attempts"]) == (20, 9)
    assert got["x"]["cpst_ci_low_usd"] < got["x"]["cost_per_solved_task_usd"] < got["x"]["cpst_ci_high_usd"]
    assert got["c"]["cpst_ci_low_usd"] is not None


@pytest.mark.parametrize("name", ["nightly_cost", "cost_per_solved_task", "task_stats", "cache_hit_rate",
                                  "output_input_ratio", "reasoning_share"])
def test_queries_moved_off_daily_usage_scans_give_the_same_rows(con, name) -> None:
    assert query(con, f"analytics/{name}") == rows(con, ref.before(name))


def test_leaderboard_store_gives_the_same_rows_everywhere() -> None:
    con = _leaderboard_store()
    for name in ("nightly_cost", "cost_per_solved_task", "task_stats", "cost_breakdown", "run_history",
                 "cache_hit_rate", "output_input_ratio", "reasoning_share"):
        assert query(con, f"analytics/{name}") == rows(con, ref.before(name)), name
    for days in (2, 7):
        want = rows(con, ref.before("price_changes"), {"window_days": days})
        assert query(con, "analytics/price_changes", window_days=days) == want
    roles = '{"coding": ["t0"], "all": ["math"]}'
    for params in ({"window_days": 14, "roles": "{}"}, {"window_days": 5, "roles": roles}):
        # the intervals' draws moved from DuckDB's hash() to stable_pick (tests/test_bootstrap_intervals.py replicates them)
        want = _without(rows(con, ref.before("category_leaderboard"), params), *CI)
        assert _without(query(con, "analytics/category_leaderboard", **params), "cpst_ci_key", *CI) == want


def test_migration_0013_backfills_the_rollups_of_earlier_runs() -> None:
    from costbench.store.db import SQL_DIR

    con = connect(":memory:")
    con.execute("CREATE TABLE _costbench_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    for path in sorted((SQL_DIR / "migrations").glob("*.sql")):
        if path.stem < "0013":  # a store from before 0013, with one priced night on it
            con.execute(path.read_text())
            con.execute("INSERT INTO _costbench_migrations VALUES (?, now())", [path.stem])
    add_run(con, "n1", N1)
    _call(con, "n1", "d1", N1, tokens=(100, 300, 0, 0, 50, 0), costs=("0.10", "0.03", "0", "0", "0.20", "0"),
          fx="0.5", window="off-peak", passed=True)
    _call(con, "n1", "a3", N1, pm="an/c", status="error")
    assert migrate(con)[0] == "0013_create_night_and_hourly_rollups"  # then any later migration
    got = rows(con, "SELECT model, calls, failed_calls, spend_usd, input_uncached_usd FROM night_usage ORDER BY model")
    assert got == [
        {"model": "c", "calls": 1, "failed_calls": 1, "spend_usd": D(0), "input_uncached_usd": None},
        {"model": "v", "calls": 1, "failed_calls": 0, "spend_usd": D("0.165"), "input_uncached_usd": D("0.05")}]
    assert rows(con, "SELECT model, hour_utc, time_window, calls FROM hourly_usage") == [
        {"model": "v", "hour_utc": 2, "time_window": "off-peak", "calls": 1}]
    assert rows(con, "SELECT DISTINCT task_category FROM daily_usage") == [{"task_category": "math"}]


def test_report_examples_pick_the_latest_answer_as_before(con) -> None:
    # d3 and d4 (n2) tie on passed for ds/v t1 vs d1 (n1): the later night wins; a tie on time keeps the smaller id
    _call(con, "n2", "d0", N2.replace(hour=9, minute=15), tokens=(1, 0, 0, 0, 1, 0), passed=True)  # same time as d4
    new = query(con, "report/examples")
    assert new == rows(con, ref.before("examples"))
    got = {(r["model"], r["task_id"], r["passed"]): r["case_id"] for r in new}
    assert got[("v", "t1", True)] == "d0"  # d0 and d4 both at 09:15 on n2: "d0" < "d4"
    assert got[("v", "t1", False)] == "d2"
