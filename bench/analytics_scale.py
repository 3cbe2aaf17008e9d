"""Analytics at scale: every query in sql/analytics/ on a store whose rollup grows with the data.

The synthetic store has one call per model × task × night (a year: 365 nights), so the daily_usage rollup
holds as many rows as there are calls: at --scale 1, 500 models × 200 tasks × 365 nights = 36.5 M calls
and 36.5 M rollup rows. Every fifth model gets a -50 % price change on day 180. Prints, per query, the
median time of its SQL alone (into a DuckDB temp table) and with its rows read into Python (`costbench query`,
the report), and the rollup and raw tables it reads (target: each under 1 s); the bootstrap intervals the gate
draws and keeps once a night (migration 0015); the raw-table path (the
queries moved onto the rollups, and cost per solved task, timed with their SQL of before); and the rollup
refresh time of one night (what landing and pricing each add after a nightly run), per rollup table, and the
task_totals unfold + fold it includes for a night that passed the gate (task_stats reads task_totals).
Usage: python bench/analytics_scale.py [--scale 0.02] [--tasks 200] [--nights 365] [--runs 3] [--reuse] [--no-before]
(--scale 0.02 = 10 models, 730 k calls, about a minute here; --scale 1 needs ~30 GB of disk and patience).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from costbench.prices.pricing import refresh_rollup  # noqa: E402
from costbench.store import analytics, totals  # noqa: E402
from costbench.store.db import SQL_DIR, connect, migrate, query, sql_text  # noqa: E402
from costbench.store import totals  # noqa: E402
from costbench.store.intervals import keep_intervals  # noqa: E402
from costbench.store.rollup import ROLLUPS  # noqa: E402
from tests import raw_reference_sql  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "var" / "bench"
FULL_MODELS = 500

GENERATE = [
    # runs: one per night. Every insert names its columns (BY NAME), so new nullable columns need no edit here.
    # run ids sort by time, like the pipeline's (20250101T0200-…), and every night's rows are stored together, as the
    # nightly refresh appends them: the rollups' zone maps then let a window's scan skip the other nights
    """INSERT INTO runs BY NAME SELECT
       strftime(TIMESTAMP '2025-01-01 02:00:00' + to_days(n::INTEGER), '%Y%m%dT%H%M') || '-bench' AS run_id,
       TIMESTAMPTZ '2025-01-01 02:00:00+00' + to_days(n::INTEGER) AS run_at,
       TIMESTAMPTZ '2025-01-01 02:00:00+00' + to_days(n::INTEGER) AS started_at, 'ok' AS status, 'cfg' AS config_hash,
       'cat' AS catalog_version, 'pb' AS pricebook_version, true AS simulated, 100 AS budget_usd
       FROM range($nights) t(n)""",
    # price entries: every model has a base price, every fifth model a -50 % cut on day 180
    """INSERT INTO price_entries BY NAME SELECT 'pb' AS pricebook_version, 'p/m' || m || '@2024-01-01' AS entry_id,
       'p' AS provider, 'm' || m AS model, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS effective_from, 'USD' AS currency,
       1 AS fx_rate_to_usd, 1 + m % 5 AS input_uncached_per_mtok, 0.1 AS cache_read_per_mtok,
       1.25 AS cache_write_5m_per_mtok, 2 AS cache_write_1h_per_mtok, 4 + m % 7 AS output_per_mtok, 0 AS request_fee,
       false AS has_tiers, false AS has_time_windows, 's' AS source FROM range($models) t(m)""",
    """INSERT INTO price_entries BY NAME SELECT 'pb' AS pricebook_version, 'p/m' || m || '@2025-06-30' AS entry_id,
       'p' AS provider, 'm' || m AS model, 'p/m' || m || '@2024-01-01' AS previous_entry_id,
       TIMESTAMPTZ '2025-06-30 00:00:00+00' AS effective_from, DATE '2025-06-20' AS announced_on, 'USD' AS currency,
       1 AS fx_rate_to_usd, (1 + m % 5) / 2 AS input_uncached_per_mtok, 0.05 AS cache_read_per_mtok,
       0.625 AS cache_write_5m_per_mtok, 1 AS cache_write_1h_per_mtok, (4 + m % 7) / 2 AS output_per_mtok,
       0 AS request_fee, false AS has_tiers, false AS has_time_windows, 's' AS source
       FROM range($models) t(m) WHERE m % 5 = 0""",
    # calls: one per model × task × night (call i: model i % models, task (i // models) % tasks, night i // per_night)
    """INSERT INTO calls BY NAME SELECT 'c' || i AS call_id,
       strftime(TIMESTAMP '2025-01-01 02:00:00' + to_days((i // $per_night)::INTEGER), '%Y%m%dT%H%M') || '-bench' AS run_id, 'main' AS shard,
       'p' AS provider, 'm' || (i % $models) AS model, 'openai_chat' AS dialect, 't' || ((i // $models) % $tasks) AS task_id,
       1 AS task_version, 'cat' || (((i // $models) % $tasks) % 12) AS task_category, 'k' || (i % 7) AS case_id,
       0 AS repeat_index, 0 AS turn_index, true AS is_final_turn,
       TIMESTAMPTZ '2025-01-01 02:00:00+00' + to_days((i // $per_night)::INTEGER) + to_seconds((i % 3600)::INTEGER)
           AS requested_at,
       100 AS latency_ms, 1 AS attempts, 'ok' AS status, 200 AS http_status, 200 + hash(i) % 2000 AS input_uncached_tokens,
       hash(i, 1) % 1500 AS cache_read_tokens, 0 AS cache_write_5m_tokens, 0 AS cache_write_1h_tokens,
       50 + hash(i, 2) % 800 AS output_tokens, hash(i, 3) % 50 AS reasoning_tokens, true AS simulated,
       TIMESTAMPTZ '2026-01-01 00:00:00+00' AS landed_at
       FROM range($rows) t(i)""",
    # costs: each field = its tokens × the entry's price per Mtok, so the fields add up to the total
    """INSERT INTO costs BY NAME SELECT call_id, run_id, entry_id, 'pb' AS pricebook_version, 'USD' AS currency,
       input_uncached_cost, cache_read_cost, 0 AS cache_write_5m_cost, 0 AS cache_write_1h_cost, output_cost,
       0 AS request_fee, input_uncached_cost + cache_read_cost + output_cost AS total, 1 AS fx_rate_to_usd,
       input_uncached_cost + cache_read_cost + output_cost AS total_usd, false AS reconciliation_flag,
       TIMESTAMPTZ '2026-01-01 00:00:00+00' AS priced_at
       FROM (SELECT c.call_id, c.run_id, e.entry_id,
                    (c.input_uncached_tokens * e.input_uncached_per_mtok * 0.000001::DECIMAL(7, 6))::DECIMAL(38, 12) AS input_uncached_cost,
                    (c.cache_read_tokens * e.cache_read_per_mtok * 0.000001::DECIMAL(7, 6))::DECIMAL(38, 12) AS cache_read_cost,
                    (c.output_tokens * e.output_per_mtok * 0.000001::DECIMAL(7, 6))::DECIMAL(38, 12) AS output_cost
             FROM calls c JOIN price_entries e ON e.entry_id = 'p/' || c.model ||
                  CASE WHEN c.requested_at >= TIMESTAMPTZ '2025-06-30 00:00:00+00'
                            AND substr(c.model, 2)::INTEGER % 5 = 0 THEN '@2025-06-30' ELSE '@2024-01-01' END)""",
    """INSERT INTO grades BY NAME SELECT call_id, run_id, 'exact' AS grader, 1 AS score, hash(call_id) % 4 <> 0 AS passed,
       'r' AS reason FROM calls""",
    # the rollups of every night at once (the same macros refresh_rollup runs night by night)
    """INSERT INTO daily_usage BY NAME SELECT * FROM daily_usage_rows() ORDER BY run_id""",
    """INSERT INTO night_usage BY NAME SELECT * FROM night_usage_rows() ORDER BY run_id""",
    """INSERT INTO hourly_usage BY NAME SELECT * FROM hourly_usage_rows() ORDER BY run_id""",
]

RAW_COST_PER_SOLVED_TASK = """
    SELECT c.provider, c.model, count(g.call_id) AS attempts, count(*) FILTER (WHERE g.passed) AS solved,
           money_div(sum(k.total_usd), count(*) FILTER (WHERE g.passed)) AS cost_per_solved_task_usd
    FROM calls c JOIN runs r ON r.run_id = c.run_id AND r.status = 'ok'
    LEFT JOIN costs k USING (call_id) LEFT JOIN grades g USING (call_id)
    GROUP BY ALL"""


def shape(scale: float, tasks: int, nights: int) -> dict[str, int]:
    """Models, tasks, nights and call rows for a scale (1 = 500 models)."""
    models = max(2, round(FULL_MODELS * scale))
    return {"models": models, "tasks": tasks, "nights": nights, "rows": models * tasks * nights,
            "per_night": models * tasks}


def generate(con: Any, values: dict[str, int]) -> None:
    """Fill a migrated store with the synthetic year."""
    for sql in GENERATE:
        con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})
    totals.rebuild(con)  # task_totals (task_stats reads it), as `costbench db check --repair` builds it
    con.execute("CHECKPOINT")


def median_s(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall time of ``runs`` calls and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


TABLES = ("daily_usage", "night_usage", "hourly_usage", "task_totals", "calls", "costs", "grades")


def reads(name: str) -> str:
    """The rollup and raw tables a query's SQL names (runs and the small price tables left out)."""
    text = (SQL_DIR / "analytics" / f"{name}.sql").read_text(encoding="utf-8")
    found = [t for t in TABLES if re.search(rf"\b(FROM|JOIN)\s+{t}\b", text)]
    return ", ".join(found) or "runs / price tables only"


def time_queries(con: Any, runs: int) -> tuple[list[str], list[str]]:
    """Print every analytics query's median time and what it reads; return the names at or over 1 s (SQL alone, and
    with its rows read into Python)."""
    slow_sql, slow = [], []
    print(f"  {'query':<24} {'SQL':>8}    {'+ rows':>8}")
    for name, info in analytics.catalog().items():
        params = {p: analytics.DEFAULTS.get(name, {}).get(p, 7) for p in info.params}
        sql_s, _ = median_s(lambda: con.execute(f"CREATE OR REPLACE TEMP TABLE timed AS {sql_text(f'analytics/{name}')}",
                                                 params or None), runs)
        seconds, rows = median_s(lambda: query(con, f"analytics/{name}", **params), runs)
        slow_sql += [name] if sql_s >= 1 else []
        slow += [f"{name} ({len(rows):,} rows)"] if seconds >= 1 else []
        print(f"  {name:<24} {sql_s * 1000:6.0f} ms  {seconds * 1000:6.0f} ms  {len(rows):>7,} rows  ({reads(name)})",
              flush=True)
    return slow_sql, slow


BEFORE = ["cost_breakdown", "cost_by_hour", "run_history", "leaderboard", "nightly_cost", "cost_per_solved_task",
          "task_stats", "category_leaderboard", "price_changes", "cache_hit_rate", "output_input_ratio", "reasoning_share"]


def time_raw_paths(con: Any, runs: int, names: list[str]) -> None:
    """The same answers with the SQL of before (tests/raw_reference_sql.py: raw tables, or daily_usage scans)."""
    for name in names:
        params = analytics.DEFAULTS.get(name, {})
        old_s, _ = median_s(lambda: con.execute(raw_reference_sql.before(name), params).fetchall(), runs)
        new_s, _ = median_s(lambda: query(con, f"analytics/{name}", **params), runs)
        print(f"  {name:<24} {new_s * 1000:6.0f} ms now vs {old_s * 1000:6.0f} ms before ({old_s / max(new_s, 1e-9):.1f}x)",
              flush=True)
    raw_s, _ = median_s(lambda: con.execute(RAW_COST_PER_SOLVED_TASK).fetchall(), runs)
    print(f"  cost per solved task straight from calls + costs + grades: {raw_s * 1000:.0f} ms", flush=True)


def time_refresh(con: Any, night: str, runs: int) -> None:
    """One night's rollup refresh (what landing and pricing each add per run), in total and per table."""
    total_s, _ = median_s(lambda: refresh_rollup(con, night), runs)
    parts = []
    for table in ROLLUPS:
        def one(table: str = table) -> None:
            con.execute(f"DELETE FROM {table} WHERE run_id = $run_id", {"run_id": night})  # noqa: S608
            con.execute(sql_text(f"staging/refresh_{table}"), {"run_id": night})
        seconds, _ = median_s(one, runs)
        parts.append(f"{table} {seconds * 1000:.0f} ms")
    seconds, _ = median_s(lambda: (totals.unfold(con, night), totals.fold(con, night)), runs)
    parts.append(f"task_totals unfold + fold {seconds * 1000:.0f} ms")
    calls = con.execute("SELECT count(*) FROM calls WHERE run_id = $r", {"r": night}).fetchall()[0][0]
    print(f"rollup refresh of one night ({calls:,} calls): {total_s * 1000:.0f} ms ({', '.join(parts)}); "
          f"load {os.getloadavg()[0]:.2f}")


def time_keep(con: Any) -> None:
    """Draw and keep every leaderboard's bootstrap intervals from none (what the gate does after a night that changes
    every model's clusters); the queries timed after it read them."""
    con.execute("DELETE FROM bootstrap_intervals")
    start = time.perf_counter()
    added = keep_intervals(con)
    print(f"bootstrap intervals drawn and kept (the gate, once a night): {added:,} in "
          f"{time.perf_counter() - start:.1f} s; load {os.getloadavg()[0]:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02, help="fraction of 500 models (default 0.02 = 10)")
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per query (median)")
    parser.add_argument("--reuse", action="store_true", help="keep var/bench/analytics_scale.duckdb if it exists")
    parser.add_argument("--no-before", action="store_true",
                        help="time only the raw cost-per-solved-task path, not every query's SQL of before")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "analytics_scale.duckdb"
    values = shape(args.scale, args.tasks, args.nights)
    fresh = not (args.reuse and path.is_file())
    if fresh:
        path.unlink(missing_ok=True)
    con = connect(path)
    migrate(con)
    start = time.perf_counter()
    if fresh:
        generate(con, values)
    summed = (*ROLLUPS, "task_totals")
    sizes = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("calls", *summed)}  # noqa: S608
    print(f"{sizes['calls']:,} calls ({values['models']} models x {args.tasks} tasks x {args.nights} nights) in "
          f"{time.perf_counter() - start:.1f} s; rollups: " + ", ".join(f"{t} {sizes[t]:,} rows" for t in summed) +
          f"; load {os.getloadavg()[0]:.2f}", flush=True)
    time_keep(con)
    slow_sql, slow = time_queries(con, args.runs)
    print("rollup path vs the SQL of before (main 9dfb0b5):")
    time_raw_paths(con, args.runs, [] if args.no_before else BEFORE)
    night = con.execute("SELECT run_id FROM runs ORDER BY run_at LIMIT 1 OFFSET $n", {"n": args.nights // 2}).fetchall()
    time_refresh(con, night[0][0], args.runs)
    print(f"target: every query's SQL < 1 s: {'met' if not slow_sql else 'NOT met by ' + ', '.join(slow_sql)}; "
          f"with its rows read into Python: {'met' if not slow else 'NOT met by ' + ', '.join(slow)}; "
          f"load {os.getloadavg()[0]:.2f}")
    con.close()
    size_mb = path.stat().st_size / 2**20
    print(f"DuckDB file: {size_mb:.0f} MiB = {size_mb / (sizes['calls'] / 1e6):.1f} MiB per million call rows")


if __name__ == "__main__":
    main()
