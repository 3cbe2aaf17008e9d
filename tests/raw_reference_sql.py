"""The SQL of main 9dfb0b5 of every query that now reads another rollup: cost_breakdown, cost_by_hour,
run_history, cache_hit_rate, output_input_ratio and reasoning_share (raw tables); leaderboard, nightly_cost and
cost_per_solved_task (daily_usage); task_stats and category_leaderboard (daily_usage, calls for categories);
price_changes (calls + costs for each side's native spend); report/examples (a window over every graded call).
The independent reference the new queries must match row for row (tests/test_rollups.py), and the "before"
path bench/analytics_scale.py times. The SQL is kept verbatim in tests/data/sql_before/<query>.sql.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "data" / "sql_before"


def before(name: str) -> str:
    """The SQL of ``name`` (e.g. ``"cost_breakdown"``; ``"examples"`` for report/examples) as it was."""
    return (FOLDER / f"{name}.sql").read_text(encoding="utf-8")
