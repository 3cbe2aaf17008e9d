"""Render the static report site from the store with Jinja2 (autoescape on, StrictUndefined).

Everything is computed before the template; templates only loop and format, with number formatting
in registered filters (``usd``, ``tokens``, ``pct``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from costbench.store import opened, query, rows

REPORTS_DIR = Path(__file__).resolve().parent.parent / "reports"


def usd(value: Decimal | None, places: int = 6) -> str:
    """``$0.001234`` (display only: stored values keep full precision)."""
    if value is None:
        return "–"
    return f"${Decimal(value):,.{places}f}"


def tokens(value: int | None) -> str:
    """``1,234,567``."""
    return "–" if value is None else f"{int(value):,}"


def pct(value: float | None, places: int = 1) -> str:
    """``42.0 %``."""
    return "–" if value is None else f"{value * 100:.{places}f} %"


def environment() -> Environment:
    """The Jinja environment of the report templates."""
    env = Environment(loader=FileSystemLoader(REPORTS_DIR / "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(usd=usd, tokens=tokens, pct=pct)
    return env


@dataclass(frozen=True)
class SiteResult:
    """Where the site went."""

    index: Path
    pages: int


def _runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows(con, "SELECT run_id, run_at, status, catalog_version, pricebook_version, simulated FROM runs ORDER BY run_at")


def render_site(con: duckdb.DuckDBPyConnection, out_dir: Path) -> SiteResult:
    """Render every page into ``out_dir`` and copy the static assets."""
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = _runs(con)
    context = {
        "leaderboard": query(con, "analytics/cost_per_solved_task"),
        "runs": runs,
        "simulated": any(r["simulated"] for r in runs),
        "catalog_versions": sorted({r["catalog_version"] for r in runs}),
        "pricebook_versions": sorted({r["pricebook_version"] for r in runs if r["pricebook_version"]}),
        "generated_from": f"{len(runs)} run(s)",
        "generated_at": max((r["run_at"] for r in runs), default=datetime.now(UTC)),
    }
    index = out_dir / "index.html"
    index.write_text(environment().get_template("index.html.j2").render(**context), encoding="utf-8")
    static = out_dir / "static"
    shutil.copytree(REPORTS_DIR / "static", static, dirs_exist_ok=True)
    return SiteResult(index, 1)


def build(db_path: Path, out_dir: Path) -> SiteResult:
    """Open the store read-only and render the site."""
    with opened(db_path) as con:
        return render_site(con, out_dir)
