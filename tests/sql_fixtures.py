"""Tiny hand-made rows for analytics and quality tests (every figure below is computed by hand)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import duckdb

from costbench.store.db import connect, migrate

D = Decimal
CHANGE_AT = datetime(2025, 9, 29, tzinfo=UTC)


def db() -> duckdb.DuckDBPyConnection:
    con = connect(":memory:")
    migrate(con)
    return con


def rollup(con: duckdb.DuckDBPyConnection) -> None:
    """Refresh the daily_usage rollup of every run, as pricing does after each run."""
    from costbench.prices.pricing import refresh_rollup

    for (run_id,) in con.execute("SELECT run_id FROM runs").fetchall():
        refresh_rollup(con, run_id)


def add_entries(con: duckdb.DuckDBPyConnection) -> None:
    """deepseek/x: USD 1.00 in / 0.10 read / 2.00 out per Mtok, then from 2025-09-29 0.50 / 0.05 / 0.50."""
    rows = [
        ["pb1", "deepseek/x@2025-01-01", "deepseek", "x", None, datetime(2025, 1, 1, tzinfo=UTC), None, "USD", D(1),
         D("1.00"), D("0.10"), D("1.00"), D("1.00"), D("2.00"), D(0), False, False, "s"],
        ["pb1", "deepseek/x@2025-09-29", "deepseek", "x", "deepseek/x@2025-01-01", CHANGE_AT,
         datetime(2025, 9, 27).date(), "USD", D(1), D("0.50"), D("0.05"), D("0.50"), D("0.50"), D("0.50"), D(0),
         False, False, "s"],
    ]
    con.executemany("INSERT INTO price_entries VALUES (" + ",".join("?" * 18) + ")", rows)
    # confirmed entries that price cache reads (not writes) explicitly, both in USD
    con.executemany("INSERT INTO price_entry_details VALUES (?, ?, 'confirmed', 'test fixture', false, true, false, false, 1)",
                    [["pb1", "deepseek/x@2025-01-01"], ["pb1", "deepseek/x@2025-09-29"]])


def add_run(con: duckdb.DuckDBPyConnection, run_id: str, at: datetime, status: str = "ok") -> None:
    con.execute("INSERT INTO runs VALUES (?, ?, ?, NULL, ?, NULL, 'cfg', 'cat1', 'pb1', true, 5)",
                [run_id, at, at, status])


_CALL_COLUMNS = """call_id, run_id, shard, provider, model, dialect, task_id, task_version, task_category, case_id,
    repeat_index, turn_index, is_final_turn, requested_at, latency_ms, attempts, status, http_status, error, output_text,
    input_uncached_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
    reasoning_tokens, provider_reported_cost_usd, raw_usage, raw_response, request_json, simulated, landed_at"""
_COST_COLUMNS = """call_id, run_id, entry_id, pricebook_version, currency, input_uncached_cost, cache_read_cost,
    cache_write_5m_cost, cache_write_1h_cost, output_cost, request_fee, total, fx_rate_to_usd, total_usd, tier,
    time_window, reconciliation_delta_usd, reconciliation_flag, priced_at"""


def add_call(con: duckdb.DuckDBPyConnection, run_id: str, call_id: str, at: datetime, *, uncached: int, read: int,
             out: int, passed: bool | None, total_usd: Decimal, entry: str, provider: str = "deepseek",
             model: str = "x", reasoning: int = 0, reported: Decimal | None = None, task: str = "t1", output: str = "a") -> None:
    con.execute(
        f"""INSERT INTO calls ({_CALL_COLUMNS}) VALUES (?, ?, 'main', ?, ?, 'deepseek', ?, 1, 'math', ?, 0, 0, true, ?, 10, 1, 'ok', 200,
           NULL, ?, ?, ?, 0, 0, ?, ?, ?, NULL, NULL, NULL, true, ?)""",
        [call_id, run_id, provider, model, task, call_id, at, output, uncached, read, out, reasoning, reported, at])
    con.execute(f"INSERT INTO costs ({_COST_COLUMNS}) VALUES (?, ?, ?, 'pb1', 'USD', 0, 0, 0, 0, 0, 0, ?, 1, ?, NULL, NULL, NULL, false, ?)",
                [call_id, run_id, entry, total_usd, total_usd, at])
    if passed is not None:
        con.execute("INSERT INTO grades VALUES (?, ?, 'exact', ?, ?, 'r')", [call_id, run_id, float(passed), passed])
