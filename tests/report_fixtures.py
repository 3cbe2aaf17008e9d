"""A small store for report tests: models over nights on both sides of a price change, one hostile output,
and one model (mistral/zero) that never solves anything, on a task (t9) nobody solves."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from costbench.store.db import connect, migrate
from tests.sql_fixtures import CHANGE_AT, D, add_call, add_entries, add_run, rollup

XSS = '<script>window.__pwned = true; alert(1)</script>'


def build_store(path: Path) -> Path:
    """Write the store and return its path."""
    con = connect(path)
    migrate(con)
    add_entries(con)
    con.execute("""INSERT INTO price_entries SELECT 'pb1', 'mistral/y@2025-01-01', 'mistral', 'y', NULL,
                   TIMESTAMPTZ '2025-01-01 00:00:00+00', NULL, 'USD', 1, 2, 0.2, 2, 2, 6, 0, false, false, 's'""")
    for day in range(-3, 4):
        at = CHANGE_AT + timedelta(days=day, hours=2)
        run_id = f"r{day + 3}"
        add_run(con, run_id, at)
        entry = "deepseek/x@2025-09-29" if day >= 0 else "deepseek/x@2025-01-01"
        for i in range(3):
            add_call(con, run_id, f"{run_id}-x{i}", at, uncached=1000, read=200 * (day > 0), out=300, passed=i != 2,
                     total_usd=D("0.0019") if day < 0 else D("0.0007"), entry=entry, task=f"t{i}",
                     output=XSS if (day, i) == (3, 2) else f"answer {i}")
            add_call(con, run_id, f"{run_id}-y{i}", at, uncached=900, read=0, out=400, passed=i == 0, provider="mistral",
                     model="y", total_usd=D("0.0042"), entry="mistral/y@2025-01-01", task=f"t{i}")
        add_call(con, run_id, f"{run_id}-z", at, uncached=500, read=0, out=100, passed=False, provider="mistral",
                 model="zero", total_usd=D("0.0011"), entry="mistral/y@2025-01-01", task="t9")
    rollup(con)
    con.close()
    return path
