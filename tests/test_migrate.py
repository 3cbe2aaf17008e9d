"""A blank DuckDB migrates to exactly the documented columns, and migrating twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

from costbench.store.db import connect, migrate, rows

EXPECTED = {
    "runs": [
        "run_id", "run_at", "started_at", "finished_at", "status", "status_reason", "config_hash",
        "catalog_version", "pricebook_version", "simulated", "budget_usd",
    ],
    "calls": [
        "call_id", "run_id", "shard", "provider", "model", "dialect", "task_id", "task_version", "task_category",
        "case_id", "repeat_index", "turn_index", "is_final_turn", "requested_at", "latency_ms", "attempts",
        "status", "http_status", "error", "output_text", "input_uncached_tokens", "cache_read_tokens",
        "cache_write_5m_tokens", "cache_write_1h_tokens", "output_tokens", "reasoning_tokens",
        "provider_reported_cost_usd", "raw_usage", "raw_response", "request_json", "simulated", "landed_at",
        "charged_usd", "cost_estimate",
    ],
    "grades": ["call_id", "run_id", "grader", "score", "passed", "reason"],
    "costs": [
        "call_id", "run_id", "entry_id", "pricebook_version", "currency", "input_uncached_cost", "cache_read_cost",
        "cache_write_5m_cost", "cache_write_1h_cost", "output_cost", "request_fee", "total", "fx_rate_to_usd",
        "total_usd", "tier", "time_window", "reconciliation_delta_usd", "reconciliation_flag", "priced_at",
        "estimated", "estimate_reason", "billed_entry_id",
    ],
    "price_entry_details": [
        "pricebook_version", "entry_id", "confidence", "evidence", "undated", "cache_read_priced",
        "cache_write_5m_priced", "cache_write_1h_priced", "previous_to_own_currency",
    ],
    "price_windows": [
        "pricebook_version", "entry_id", "window_name", "start_utc", "end_utc", "input_uncached_per_mtok",
        "cache_read_per_mtok", "cache_write_5m_per_mtok", "cache_write_1h_per_mtok", "output_per_mtok",
    ],
    "fx_rates": ["pricebook_version", "currency", "since", "usd", "basis", "source"],
}


def _columns(con, table: str) -> list[str]:
    return [r["column_name"] for r in rows(
        con, "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table])]


def test_blank_database_gets_exact_columns() -> None:
    con = connect(":memory:")
    applied = migrate(con)
    assert applied[0] == "0001_create_runs_calls_grades"
    for table, columns in EXPECTED.items():
        assert _columns(con, table) == columns, table


def test_money_columns_are_exact_decimals() -> None:
    con = connect(":memory:")
    migrate(con)
    types = {r["column_name"]: r["data_type"] for r in rows(
        con, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'costs'")}
    assert types["total_usd"] == "DECIMAL(38,12)"
    assert types["total"] == "DECIMAL(38,12)"


def test_migrate_is_idempotent_and_recorded(tmp_path) -> None:
    db = tmp_path / "x.duckdb"
    con = connect(db)
    first = migrate(con)
    assert migrate(con) == []
    recorded = [r["name"] for r in rows(con, "SELECT name FROM _costbench_migrations ORDER BY name")]
    assert recorded == first
    con.close()


def test_money_div_is_exact_and_null_safe() -> None:
    con = connect(":memory:")
    migrate(con)
    got = con.execute("SELECT money_div(10.5, 7), money_div(1, 3), money_div(5, 0)").fetchone()
    assert got == (Decimal("1.5"), Decimal("0.333333333333"), None)


def test_rollup_migration_backfills_runs_priced_before_it(tmp_path) -> None:
    from costbench.store.db import SQL_DIR
    from tests.sql_fixtures import CHANGE_AT, D, add_call, add_run

    con = connect(":memory:")
    con.execute("CREATE TABLE _costbench_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    for path in sorted((SQL_DIR / "migrations").glob("000[1-5]_*.sql")):  # a store from before 0006
        con.execute(path.read_text())
        con.execute("INSERT INTO _costbench_migrations VALUES (?, now())", [path.stem])
    add_run(con, "old", CHANGE_AT)
    add_call(con, "old", "c1", CHANGE_AT, uncached=10, read=0, out=5, passed=True, total_usd=D("0.5"), entry="e")
    assert migrate(con)[0] == "0006_create_daily_usage"  # (later migrations follow it)
    assert rows(con, "SELECT run_id, calls, solved, spend_usd FROM daily_usage") == [
        {"run_id": "old", "calls": 1, "solved": 1, "spend_usd": D("0.5")}]
