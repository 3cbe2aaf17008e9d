"""Bootstrap intervals kept by the key of their clusters (migration 0015), so a leaderboard read draws nothing.

``sql/analytics/leaderboard.sql`` and ``category_leaderboard.sql`` compute a model's (or group's) key from its
clusters, read the interval kept under that key, and draw 200 replicates only for keys not kept. The key covers
everything the draws depend on, so a kept interval is the one a fresh computation gives; new data is a new key.
:func:`keep_intervals` runs after the quality gate and after re-pricing: it keeps the intervals of both
leaderboards (default parameters) and drops keys no longer used, so the table holds one row per model and group.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from costbench.store import analytics

KEPT = ("leaderboard", "category_leaderboard")
"""The queries whose intervals are kept (at their default parameters; other windows or roles draw on read)."""


def keep_intervals(con: duckdb.DuckDBPyConnection) -> int:
    """Keep the intervals of today's leaderboards and drop the others; returns how many were drawn and added."""
    now = datetime.now(UTC)
    found = {r["cpst_ci_key"]: (r["cpst_ci_low_usd"], r["cpst_ci_high_usd"])
             for name in KEPT for r in analytics.run(con, name, {}) if r["cpst_ci_key"] is not None}
    kept = {k for (k,) in con.execute("SELECT clusters_md5 FROM bootstrap_intervals").fetchall()}
    stale = sorted(kept - set(found))
    if stale:
        con.execute("DELETE FROM bootstrap_intervals WHERE list_contains($stale, clusters_md5)", {"stale": stale})
    new = [(key, low, high, now) for key, (low, high) in found.items() if key not in kept]
    if new:
        con.executemany("INSERT INTO bootstrap_intervals VALUES (?, ?, ?, ?)", new)
    return len(new)
