"""Render the report site for one year of nightly history over 50 models; target under 10 seconds.

The store is synthetic (bench/analytics_scale.py's generator: one call per model × task × night, price
changes, costs, grades and the rollup). Prints the render time, the number of pages and charts (each
distinct chart spec is drawn once, two at a time), and the site's size. Output under var/bench/.
Usage: python bench/report_scale.py [--scale 0.5] [--reuse]
(--scale 1 = 50 models × 40 tasks × 365 nights = 730,000 calls; --reuse keeps an earlier store of that shape.)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.analytics_scale import OUT, generate  # noqa: E402
from costbench.report.site import render_site  # noqa: E402
from costbench.store.db import connect, migrate  # noqa: E402


def store(path: Path, values: dict[str, int], reuse: bool) -> None:
    """Generate the synthetic year unless a store of this shape exists and ``reuse`` is set."""
    if reuse and path.is_file():
        con = connect(path)
        calls = con.execute("SELECT count(*) FROM calls").fetchall()[0][0]
        con.close()
        if calls == values["rows"]:
            return
    path.unlink(missing_ok=True)
    con = connect(path)
    migrate(con)
    generate(con, values)
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.5, help="fraction of 40 tasks per model and night (default 0.5)")
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--reuse", action="store_true", help="keep var/bench/report_scale.duckdb if it has this shape")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    tasks = max(1, round(40 * args.scale))
    values = {"models": args.models, "tasks": tasks, "nights": args.nights, "rows": args.models * tasks * args.nights,
              "per_night": args.models * tasks}
    db, site = OUT / "report_scale.duckdb", OUT / "report_site"
    start = time.perf_counter()
    store(db, values, args.reuse)
    print(f"store: {values['rows']:,} calls ({args.models} models x {tasks} tasks x {args.nights} nights) "
          f"ready in {time.perf_counter() - start:.1f} s", flush=True)
    shutil.rmtree(site, ignore_errors=True)
    con = connect(db)
    for build in ("cold (every chart drawn)", "warm (charts from .charts/, as a rebuild of unchanged data)"):
        start, cpu = time.perf_counter(), time.process_time()
        result = render_site(con, site)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"{build}: {seconds:.1f} s wall, {cpu:.1f} s CPU (this process, all threads; on a shared machine the "
              f"CPU figure is the fair one) (target < 10 s: {'met' if seconds < 10 else 'NOT met'})", flush=True)
    con.close()
    files = [p for p in site.rglob("*") if p.is_file()]
    charts = sum(p.read_text(encoding="utf-8").count("<svg") for p in site.rglob("*.html"))
    size = sum(p.stat().st_size for p in files) / 2**20
    print(f"site: {result.pages} pages, {charts} charts, {len(files)} files, {size:.1f} MiB")


if __name__ == "__main__":
    main()
