"""Render the report site for one year of nightly history over 50 models; target under 10 seconds.

The store is synthetic (bench/analytics_scale.py's generator: runs, price entries with changes, calls,
costs, grades). Prints the render time and the site's size. Output under var/bench/.
Usage: python bench/report_scale.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.analytics_scale import GENERATE, OUT  # noqa: E402
from costbench.prices.pricing import refresh_rollup  # noqa: E402
from costbench.report.site import render_site  # noqa: E402
from costbench.store.db import connect, migrate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="call rows over the year (default ~55/model/night)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db, site = OUT / "report_scale.duckdb", OUT / "report_site"
    db.unlink(missing_ok=True)
    shutil.rmtree(site, ignore_errors=True)
    con = connect(db)
    migrate(con)
    values = {"rows": args.rows, "models": 50, "nights": 365, "per_night": -(-args.rows // 365)}
    for sql in GENERATE:
        con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})
    for (run_id,) in con.execute("SELECT run_id FROM runs").fetchall():
        refresh_rollup(con, run_id)
    start = time.perf_counter()
    result = render_site(con, site)
    seconds = time.perf_counter() - start
    files = [p for p in site.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files) / 2**20
    print(f"rendered {result.pages} pages for 365 nights x 50 models ({args.rows:,} calls) in {seconds:.1f} s "
          f"(target < 10 s: {'met' if seconds < 10 else 'NOT met'}); site: {len(files)} files, {size:.1f} MiB")


if __name__ == "__main__":
    main()
