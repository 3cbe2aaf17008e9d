"""Analytics at scale: every query in sql/analytics/ on a store whose rollup grows with the data.

The synthetic store has one call per model × task × night (a year: 365 nights), so the daily_usage rollup
holds as many rows as there are calls: at --scale 1, 500 models × 200 tasks × 365 nights = 36.5 M calls
and 36.5 M rollup rows. Every fifth model gets a -50 % price change on day 180. Prints, per query, the
median time and whether it reads the rollup or the raw tables (target: each under 1 s); the raw-table
path (the same cost-per-solved-task answer computed from calls + costs + grades); and the rollup refresh
time of one night (what pricing adds after each nightly run).
Usage: python bench/analytics_scale.py [--scale 0.02] [--tasks 200] [--nights 365] [--runs 3]
(--scale 0.02 = 10 models, 730 k calls, about a minute here; --scale 1 needs ~30 GB of disk and patience).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from costbench.prices.pricing import refresh_rollup  # noqa: E402
from costbench.store import analytics  # noqa: E402
from costbench.store.db import SQL_DIR, connect, migrate, query  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "var" / "bench"
FULL_MODELS = 500

GENERATE = [
    # runs: one per night
    """INSERT INTO runs SELECT 'r' || n, TIMESTAMPTZ '2025-01-01 02:00:00+00' + to_days(n::INTEGER),
       TIMESTAMPTZ '2025-01-01 02:00:00+00' + to_days(n::INTEGER), NULL, 'ok', NULL, 'cfg', 'cat', 'pb', true, 100
       FROM range($nights) t(n)""",
    # price entries: every model has a base price, every fifth model a -50 % cut on day 180
    """INSERT INTO price_entries SELECT 'pb', 'p/m' || m || '@2024-01-01', 'p', 'm' || m, NULL, TIMESTAMPTZ '2024-01-01 00:00:00+00',
       NULL, 'USD', 1, 1 + m % 5, 0.1, 1.25, 2, 4 + m % 7, 0, false, false, 's' FROM range($models) t(m)""",
    """INSERT INTO price_entries SELECT 'pb', 'p/m' || m || '@2025-06-30', 'p', 'm' || m, 'p/m' || m || '@2024-01-01',
       TIMESTAMPTZ '2025-06-30 00:00:00+00', DATE '2025-06-20', 'USD', 1, (1 + m % 5) / 2, 0.05, 0.625, 1, (4 + m % 7) / 2, 0,
       false, false, 's' FROM range($models) t(m) WHERE m % 5 = 0""",
    # calls: one per model × task × night (call i: model i % models, task (i // models) % tasks, night i // per_night)
    """INSERT INTO calls SELECT 'c' || i, 'r' || (i // $per_night), 'main', 'p', 'm' || (i % $models), 'openai_chat',
       't' || ((i // $models) % $tasks), 1, 'cat' || (((i // $models) % $tasks) % 12), 'k' || (i % 7), 0, 0, true,
       TIMESTAMPTZ '2025-01-01 02:00:00+00' + to_days((i // $per_night)::INTEGER) + to_seconds((i % 3600)::INTEGER),
       100, 1, 'ok', 200, NULL, NULL, 200 + hash(i) % 2000, hash(i, 1) % 1500, 0, 0, 50 + hash(i, 2) % 800,
       hash(i, 3) % 50, NULL, NULL, NULL, NULL, true, TIMESTAMPTZ '2026-01-01 00:00:00+00'
       FROM range($rows) t(i)""",
    """INSERT INTO costs SELECT c.call_id, c.run_id,
       CASE WHEN c.requested_at >= TIMESTAMPTZ '2025-06-30 00:00:00+00' AND m % 5 = 0 THEN 'p/' || c.model || '@2025-06-30'
            ELSE 'p/' || c.model || '@2024-01-01' END,
       'pb', 'USD', 0, 0, 0, 0, 0, 0, x, 1, x, NULL, NULL, NULL, false, TIMESTAMPTZ '2026-01-01 00:00:00+00'
       FROM (SELECT *, substr(model, 2)::INTEGER AS m,
                    ((input_uncached_tokens * 2 + output_tokens * 6)::DECIMAL(38, 12) / 1000000)::DECIMAL(38, 12) AS x
             FROM calls) c""",
    """INSERT INTO grades SELECT call_id, run_id, 'exact', 1, hash(call_id) % 4 <> 0, 'r' FROM calls""",
    # the rollup of every night at once (the same rows refresh_rollup writes run by run)
    """INSERT INTO daily_usage
       SELECT c.run_id, c.provider, c.model, c.task_id, c.task_version, k.entry_id,
              count(*), count(g.call_id), count(*) FILTER (WHERE g.passed), coalesce(sum(k.total_usd), 0)::DECIMAL(38, 12),
              coalesce(sum(c.input_uncached_tokens), 0), coalesce(sum(c.cache_read_tokens), 0),
              coalesce(sum(c.cache_write_5m_tokens), 0), coalesce(sum(c.cache_write_1h_tokens), 0),
              coalesce(sum(c.output_tokens), 0), coalesce(sum(c.reasoning_tokens), 0), min(c.requested_at), max(c.requested_at)
       FROM calls c LEFT JOIN costs k USING (call_id) LEFT JOIN grades g USING (call_id)
       GROUP BY c.run_id, c.provider, c.model, c.task_id, c.task_version, k.entry_id""",
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
    con.execute("CHECKPOINT")


def median_s(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall time of ``runs`` calls and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02, help="fraction of 500 models (default 0.02 = 10)")
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per query (median)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "analytics_scale.duckdb"
    path.unlink(missing_ok=True)
    con = connect(path)
    migrate(con)
    values = shape(args.scale, args.tasks, args.nights)
    start = time.perf_counter()
    generate(con, values)
    rollup = con.execute("SELECT count(*) FROM daily_usage").fetchall()[0][0]
    print(f"generated {values['rows']:,} calls ({values['models']} models x {args.tasks} tasks x {args.nights} nights), "
          f"rollup {rollup:,} rows, in {time.perf_counter() - start:.1f} s", flush=True)
    slow = []
    for name, info in analytics.catalog().items():
        params = {p: analytics.DEFAULTS.get(name, {}).get(p, 7) for p in info.params}
        seconds, rows = median_s(lambda: query(con, f"analytics/{name}", **params), args.runs)
        reads = "rollup" if "daily_usage" in (SQL_DIR / "analytics" / f"{name}.sql").read_text() else "raw tables"
        slow += [name] if seconds >= 1 else []
        print(f"  {name:<24} {seconds * 1000:8.0f} ms  {len(rows):>7,} rows  ({reads})", flush=True)
    raw_s, _ = median_s(lambda: con.execute(RAW_COST_PER_SOLVED_TASK).fetchall(), args.runs)
    rolled_s, _ = median_s(lambda: query(con, "analytics/cost_per_solved_task"), args.runs)
    refresh_s, _ = median_s(lambda: refresh_rollup(con, f"r{args.nights // 2}"), args.runs)
    print(f"cost per solved task: {rolled_s * 1000:.0f} ms from the rollup vs {raw_s * 1000:.0f} ms from the raw tables "
          f"({raw_s / max(rolled_s, 1e-9):.1f}x)")
    print(f"rollup refresh of one night ({values['per_night']:,} calls): {refresh_s * 1000:.0f} ms")
    print(f"target: every query < 1 s: {'met' if not slow else 'NOT met by ' + ', '.join(slow)}")
    con.close()
    size_mb = path.stat().st_size / 2**20
    print(f"DuckDB file: {size_mb:.0f} MiB = {size_mb / (values['rows'] / 1e6):.1f} MiB per million call rows")


if __name__ == "__main__":
    main()
