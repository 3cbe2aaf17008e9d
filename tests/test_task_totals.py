"""task_totals (migration 0016), the per task version sums task_stats reads, stays exact through every event.

Runs go through the real paths: landing (loader.load_run from journal shards), pricing and re-pricing
(costbench.prices.pricing with a tiny hand-written price book), the gate (set_run_status, quality.check_run).
After each event the table must equal a full recompute from daily_usage (the GROUP BY written below, not the
table's own macro), its list of folded runs must be the runs whose status is 'ok', and task_stats must give the
rows of its SQL of before (tests/data/sql_before/task_stats.sql). Hand-computed figures pin a few rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costbench.prices import pricing
from costbench.prices.book import load_pricebook
from costbench.prices.fx import load_fx
from costbench.prices.pricing import Pricer
from costbench.run import journal
from costbench.store.db import SQL_DIR, connect, migrate, query, rows, set_run_status
from costbench.store.loader import load_run
from costbench.store.quality import check_run
from tests import raw_reference_sql as ref
from tests.test_journal import _manifest, _record, _write

D = Decimal
ENTRY = """    - effective_from: 2025-01-01T00:00:00Z
      currency: USD
      rates: {{input_uncached: {inp}, cache_read: 0.5, output: {out}}}
      source: test
      checked_on: 2025-01-01
      confidence: unverified
      evidence: a synthetic price book written for this test
"""
CUT = ENTRY.replace("2025-01-01T00:00:00Z", "2025-09-01T00:00:00Z")  # a price change effective before every run
FX = "rates:\n  - {currency: EUR, since: 2025-01-01, usd: 1.10, source: t}\n"
REFERENCE = """
    SELECT d.provider, d.model, d.task_id, d.task_version, any_value(d.task_category) AS category,
           sum(d.calls) AS calls, sum(d.attempts) AS attempts, sum(d.solved) AS solved, sum(d.spend_usd) AS spend_usd,
           sum(d.input_uncached_tokens + d.cache_read_tokens + d.cache_write_5m_tokens + d.cache_write_1h_tokens)
               AS input_tokens,
           sum(d.output_tokens) AS output_tokens
    FROM daily_usage d JOIN runs r ON r.run_id = d.run_id AND r.status = 'ok'
    GROUP BY d.provider, d.model, d.task_id, d.task_version ORDER BY ALL"""
TABLE = """SELECT provider, model, task_id, task_version, category, calls, attempts, solved, spend_usd, input_tokens,
                  output_tokens FROM task_totals ORDER BY ALL"""


def _pricer(root: Path, *, cut: bool = False) -> Pricer:
    """acme m1 (2 in / 0.5 cache read / 10 out USD per Mtok), m2 (1 / 0.5 / 4), m3 (3 / 0.5 / 6); with ``cut``,
    m1 is 1 / 0.5 / 5 from 2025-09-01."""
    m1 = ENTRY.format(inp=2, out=10) + (CUT.format(inp=1, out=5) if cut else "")
    text = f"provider: acme\nmodels:\n  m1:\n{m1}  m2:\n{ENTRY.format(inp=1, out=4)}  m3:\n{ENTRY.format(inp=3, out=6)}"
    root.mkdir(parents=True, exist_ok=True)
    (root / "acme.yml").write_text(text)
    (root / "fx.yml").write_text(FX)
    return Pricer(load_pricebook(root), load_fx(root / "fx.yml"))


def _call(run_id: str, i: int, model: str, *, version: int = 1, passed: bool = True, read: int = 0) -> dict:
    """One landed call of task t: 1,000 uncached + ``read`` cached input tokens, 100 output tokens."""
    record = _record(i, run_id)
    record.update(call_id=f"{run_id}-{i}", provider="acme", model=model, task_version=version,
                  task_category="math" if version == 1 else "logic")
    record["usage"] = {"input_uncached_tokens": 1000, "cache_read_tokens": read, "cache_write_5m_tokens": 0,
                       "cache_write_1h_tokens": 0, "output_tokens": 100, "reasoning_tokens": 0}
    record["grade"] = {"grader": "exact", "score": float(passed), "passed": passed, "reason": "r"}
    return record


def _land(con: duckdb.DuckDBPyConnection, landing: Path, run_id: str, day: int, calls: list[dict]) -> None:
    _manifest(landing, run_id)
    manifest = journal.read_manifest(landing, run_id)
    at = f"2025-09-{day}T02:00:00+00:00"
    journal.write_manifest(landing, run_id, {**manifest, "run_at": at, "started_at": at})
    _write(journal.run_dir(landing, run_id) / "main.jsonl", [c | {"requested_at": at} for c in calls])
    load_run(con, landing, run_id)


def _check(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], dict]:
    """task_totals equals the recompute, lists the 'ok' runs, and task_stats is unchanged; rows by (model, version)."""
    assert rows(con, TABLE) == rows(con, REFERENCE)
    folded = rows(con, "SELECT run_id FROM task_totals_runs ORDER BY run_id")
    assert folded == rows(con, "SELECT run_id FROM runs WHERE status = 'ok' ORDER BY run_id")
    stats = query(con, "analytics/task_stats")
    assert stats == rows(con, ref.before("task_stats"))
    return {(r["model"], r["task_version"]): r for r in stats}


@pytest.fixture
def store(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    con = connect(":memory:")
    migrate(con)
    return con, tmp_path / "landing"


def test_every_event_keeps_task_totals_equal_to_a_full_recompute(store, tmp_path) -> None:
    con, landing = store
    pricer = _pricer(tmp_path / "book")
    _land(con, landing, "r1", 29, [_call("r1", 0, "m1"), _call("r1", 1, "m1", passed=False, read=400),
                                   _call("r1", 2, "m2"), _call("r1", 3, "m1", version=2)])
    assert _check(con) == {}  # landed, unpriced, not gated: nothing
    pricing.price_run(con, "r1", pricer)
    assert _check(con) == {}  # priced, still not gated
    set_run_status(con, "r1", "ok")
    got = _check(con)
    # m1 v1: 2 calls, 1 solved; 2 × (1,000 × 2 + 100 × 10) + 400 × 0.5 = 6,200 µUSD; input 2,400 / 2 calls
    m1 = got[("m1", 1)]
    assert (m1["attempts"], m1["solved"], m1["spend_usd"], m1["cost_per_solved_task_usd"]) == (2, 1, D("0.0062"),
                                                                                             D("0.0062"))
    assert (m1["avg_input_tokens"], m1["avg_output_tokens"], m1["category"]) == (1200.0, 100.0, "math")
    assert (got[("m2", 1)]["spend_usd"], got[("m1", 2)]["category"]) == (D("0.0014"), "logic")  # 1,000 × 1 + 100 × 4

    _land(con, landing, "r2", 30, [_call("r2", 0, "m1")])
    pricing.price_run(con, "r2", pricer)
    set_run_status(con, "r2", "ok")
    assert _m1(con) == (3, 2, D("0.0092"))  # + 3,000 µUSD
    _land(con, landing, "q", 30, [_call("q", 0, "m3")])  # a run only a quarantined model ran
    pricing.price_run(con, "q", pricer)
    set_run_status(con, "q", "failed_quality", "bad")
    assert ("m3", 1) not in _check(con)

    set_run_status(con, "r1", "failed_quality", "bad")  # r1 fails the gate: m2 and task version 2 had only r1
    assert sorted(_check(con)) == [("m1", 1)]
    assert rows(con, "SELECT model, calls, spend_usd FROM task_totals") == [
        {"model": "m1", "calls": 1, "spend_usd": D("0.003")}]

    pricing.reprice(con, date(2025, 9, 1), _pricer(tmp_path / "cut", cut=True))  # m1: 1,000 × 1 + 100 × 5
    assert _m1(con) == (1, 1, D("0.0015"))
    set_run_status(con, "r1", "ok")  # back to ok, at the new price: + 1,500 + 1,700 (400 cached × 0.5)
    assert _m1(con) == (3, 2, D("0.0047"))
    set_run_status(con, "q", "ok")
    assert _check(con)[("m3", 1)]["spend_usd"] == D("0.0036")  # 1,000 × 3 + 100 × 6
    set_run_status(con, "q", "failed_quality", "bad again")
    assert ("m3", 1) not in _check(con)


def _m1(con: duckdb.DuckDBPyConnection) -> tuple[int, int, Decimal]:
    """After the checks: m1 task version 1's attempts, solved and spend."""
    row = _check(con)[("m1", 1)]
    return row["attempts"], row["solved"], row["spend_usd"]


def test_landing_again_and_the_gate_keep_it_exact(store, tmp_path) -> None:
    con, landing = store
    pricer = _pricer(tmp_path / "book")
    _land(con, landing, "r1", 29, [_call("r1", 0, "m1"), _call("r1", 1, "m2", passed=False)])
    pricing.price_run(con, "r1", pricer)
    report = check_run(con, "r1")  # the gate's own path (one transaction with the status)
    status = rows(con, "SELECT status FROM runs")[0]["status"]
    assert status == ("ok" if report.passed else "failed_quality")
    _check(con)
    set_run_status(con, "r1", "ok")
    _write(journal.run_dir(landing, "r1") / "late.jsonl", [_call("r1", 2, "m2")])
    load_run(con, landing, "r1")  # a shard landing late on an 'ok' run: its rollup is rebuilt (unpriced call)
    got = _check(con)
    assert (got[("m2", 1)]["attempts"], got[("m2", 1)]["solved"], got[("m2", 1)]["spend_usd"]) == (2, 1, D("0.0014"))
    pricing.price_run(con, "r1", pricer)
    assert _check(con)[("m2", 1)]["spend_usd"] == D("0.0028")


def test_the_fold_belongs_to_the_callers_transaction(store) -> None:
    con, landing = store
    _land(con, landing, "r1", 29, [_call("r1", 0, "m1")])
    con.execute("BEGIN TRANSACTION")
    set_run_status(con, "r1", "ok")  # the fold sees the status set in this transaction, not yet committed
    assert con.execute("SELECT model, calls FROM task_totals").fetchall() == [("m1", 1)]  # con itself, not a cursor
    con.execute("ROLLBACK")  # the status and the fold go together
    assert rows(con, "SELECT count(*) AS n FROM task_totals") == [{"n": 0}]
    _check(con)


def test_migration_0016_backfills_the_runs_that_passed_the_gate(tmp_path) -> None:
    con = connect(":memory:")
    con.execute("CREATE TABLE _costbench_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    for path in sorted((SQL_DIR / "migrations").glob("*.sql")):
        if path.stem < "0016":  # a store from before 0016: two priced nights, one of them quarantined
            con.execute(path.read_text())
            con.execute("INSERT INTO _costbench_migrations VALUES (?, now())", [path.stem])
    for run_id, status in (("r1", "ok"), ("q", "failed_quality")):
        con.execute("INSERT INTO runs BY NAME SELECT $r AS run_id, now() AS run_at, now() AS started_at, $s AS status, "
                    "'c' AS config_hash, 'k' AS catalog_version, true AS simulated", {"r": run_id, "s": status})
    con.execute("""INSERT INTO calls BY NAME SELECT 'c' || i AS call_id,
        CASE WHEN i < 3 THEN 'r1' ELSE 'q' END AS run_id, 'main' AS shard, 'p' AS provider, 'm' || (i % 2) AS model,
        'x' AS dialect, 't' AS task_id, 1 AS task_version, 'math' AS task_category, 'k' AS case_id,
        0 AS repeat_index, 0 AS turn_index, true AS is_final_turn,
        now() AS requested_at, 1 AS attempts, 'ok' AS status, 100 * i AS input_uncached_tokens, 1 AS cache_read_tokens,
        0 AS cache_write_5m_tokens, 0 AS cache_write_1h_tokens, 10 AS output_tokens, 0 AS reasoning_tokens,
        true AS simulated, now() AS landed_at FROM range(5) t(i)""")
    con.execute("INSERT INTO grades SELECT call_id, run_id, 'exact', 1, call_id <> 'c2', 'r' FROM calls")
    con.execute("""INSERT INTO costs BY NAME SELECT call_id, run_id, 'e' AS entry_id, 'pb' AS pricebook_version,
        'USD' AS currency, 0 AS input_uncached_cost, 0 AS cache_read_cost, 0 AS cache_write_5m_cost,
        0 AS cache_write_1h_cost, 0 AS output_cost, 0 AS request_fee, 0.000000000001 * i AS total, 1 AS fx_rate_to_usd,
        0.000000000001 * i AS total_usd, false AS reconciliation_flag, now() AS priced_at
        FROM (SELECT call_id, run_id, substr(call_id, 2)::INTEGER AS i FROM calls)""")  # call ci costs i picodollars
    con.execute("INSERT INTO daily_usage BY NAME SELECT * FROM daily_usage_rows()")  # the 0013 rollup
    assert migrate(con)[0] == "0016_create_task_totals"
    # r1: c0, c2 on m0 (input 1 + 201, 0 + 2 pUSD, c2 not solved), c1 on m1 (input 101, 1 pUSD); q (c3, c4) is left out
    assert rows(con, "SELECT model, calls, attempts, solved, spend_usd, input_tokens, output_tokens FROM task_totals "
                     "ORDER BY model") == [
        {"model": "m0", "calls": 2, "attempts": 2, "solved": 1, "spend_usd": D("0.000000000002"), "input_tokens": 202,
         "output_tokens": 20},
        {"model": "m1", "calls": 1, "attempts": 1, "solved": 1, "spend_usd": D("0.000000000001"), "input_tokens": 101,
         "output_tokens": 10}]
    _check(con)


def test_db_check_finds_drift_and_repairs_it(tmp_path) -> None:
    from click.testing import CliRunner

    from costbench.cli import main

    path = tmp_path / "store.duckdb"
    con = connect(path)
    migrate(con)
    _land(con, tmp_path / "landing", "r1", 29, [_call("r1", 0, "m1"), _call("r1", 1, "m2")])
    pricing.price_run(con, "r1", _pricer(tmp_path / "book"))
    set_run_status(con, "r1", "ok")
    con.execute("UPDATE task_totals SET spend_usd = spend_usd + 1 WHERE model = 'm1'")  # a writer that bypassed the fold
    con.execute("DELETE FROM task_totals_runs")
    con.close()
    cli = CliRunner()
    found = cli.invoke(main, ["db", "check", "--db", str(path)])
    assert found.exit_code == 1 and "1 run(s) folded wrongly and 2 row(s) differ" in found.output
    assert "--repair" in found.output and "Traceback" not in found.output
    repaired = cli.invoke(main, ["db", "check", "--db", str(path), "--repair"])
    assert repaired.exit_code == 0 and "rebuilt" in repaired.output
    assert cli.invoke(main, ["db", "check", "--db", str(path)]).output.startswith("task_totals: exact")
    con = connect(path)
    _check(con)  # equal to the reference recompute written in this file
    missing = cli.invoke(main, ["db", "check", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and "no database to check" in missing.output
    assert not (tmp_path / "none.duckdb").exists()
