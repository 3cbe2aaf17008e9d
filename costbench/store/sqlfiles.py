"""Where the SQL files live and how one is read by name (``sql/<name>.sql``), for db.py and the modules it uses."""

from __future__ import annotations

from pathlib import Path

from costbench.errors import StoreError, did_you_mean

SQL_DIR = Path(__file__).resolve().parent.parent.parent / "sql"


def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql`` (e.g. ``analytics/cost_per_solved_task``)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        known = [str(p.relative_to(SQL_DIR).with_suffix("")) for p in SQL_DIR.rglob("*.sql")]
        raise StoreError(f"No SQL file {path.relative_to(SQL_DIR.parent)}.{did_you_mean(name, known)}")
    return path.read_text(encoding="utf-8")
