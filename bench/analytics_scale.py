"""Analytics at scale: 10 million synthetic call rows (a year of nightly runs for 50 models), then time the
price-effect decomposition and the cost-per-solved-task query (median of several runs) and print the
DuckDB file size per million rows. Targets: each query under 1 s on this machine.
Usage: python bench/analytics_scale.py [--rows 10000000] [--models 50] [--nights 365]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from costbench.prices.pricing import refresh_rollup  # noqa: E402
from costbench.store.db import connect, migrate, query  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "var" / "bench"

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
    # calls: spread over nights and models, deterministic pseudo-random tokens
    """INSERT INTO calls SELECT 'c' || i, 'r' || (i // $per_night), 'main', 'p', 'm' || (i % $models), 'openai_chat',
       't' || (i % 40), 1, 'cat' || (i % 12), 'k' || (i % 7), 0, 0, true,
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
]


def timed(con, name: str, runs: int, **params: object) -> tuple[float, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        rows = query(con, f"analytics/{name}", **params)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "analytics_scale.duckdb"
    path.unlink(missing_ok=True)
    con = connect(path)
    migrate(con)
    values = {"rows": args.rows, "models": args.models, "nights": args.nights,
              "per_night": -(-args.rows // args.nights)}
    start = time.perf_counter()
    for sql in GENERATE:
        con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})
    for (run_id,) in con.execute("SELECT run_id FROM runs").fetchall():
        refresh_rollup(con, run_id)  # what pricing does after each nightly run
    con.execute("CHECKPOINT")
    print(f"generated {args.rows:,} call rows ({args.models} models x {args.nights} nights) in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    for name, params in (("cost_per_solved_task", {}), ("price_changes", {"window_days": 7}), ("leaderboard", {})):
        seconds, n = timed(con, name, args.runs if name != "leaderboard" else 1, **params)
        target = "" if name == "leaderboard" else f"  (target < 1 s: {'met' if seconds < 1 else 'NOT met'})"
        print(f"{name:<22} {seconds * 1000:8.0f} ms  {n} rows{target}", flush=True)
    con.close()
    size_mb = path.stat().st_size / 2**20
    print(f"DuckDB file: {size_mb:.0f} MiB = {size_mb / (args.rows / 1e6):.1f} MiB per million call rows "
          "(calls + costs + grades)")


if __name__ == "__main__":
    main()
