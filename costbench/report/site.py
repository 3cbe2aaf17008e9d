"""Render the static report site from the store with Jinja2 (autoescape on, StrictUndefined).

Everything is computed before the templates (which only loop and format, with the ``usd``,
``tokens`` and ``pct`` filters). Every table is also written next to its page as CSV and JSON.
Links are relative, so the site works from disk and from any static host; output is deterministic
for the same data (no wall-clock timestamps, stable ordering).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from costbench.store import analytics
from costbench.report import charts as report_charts
from costbench.store.db import opened, query, rows

if TYPE_CHECKING:
    from costbench.config import Config

REPORTS_DIR = Path(__file__).resolve().parent.parent.parent / "reports"
WINDOW_DAYS = 7


def usd(value: Decimal | None, places: int = 6) -> str:
    """``$0.001234`` (display only: stored values keep full precision)."""
    if value is None:
        return "–"
    amount = Decimal(value)
    return f"{'−' if amount < 0 else ''}${abs(amount):,.{places}f}"


def tokens(value: int | None) -> str:
    """``1,234,567``."""
    return "–" if value is None else f"{int(value):,}"


def pct(value: float | None, places: int = 1) -> str:
    """``42.0 %`` for a 0..1 rate."""
    return "–" if value is None else f"{value * 100:.{places}f} %"


def signed_pct(value: float | None) -> str:
    """``-50.0 %`` for a value already in percent."""
    return "–" if value is None else f"{value:+.1f} %"


def ratio(value: float | None) -> str:
    """``1.23×``."""
    return "–" if value is None else f"{value:.2f}×"


def slug(text: str) -> str:
    """A file-name-safe slug (``anthropic/claude-sonnet-4`` → ``anthropic--claude-sonnet-4``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.replace("/", "--")).strip("-")


def environment() -> Environment:
    """The Jinja environment of the report templates."""
    env = Environment(loader=FileSystemLoader(REPORTS_DIR / "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(usd=usd, tokens=tokens, pct=pct, signed_pct=signed_pct, ratio=ratio, slug=slug)
    return env


@dataclass(frozen=True)
class SiteResult:
    """Where the site went."""

    index: Path
    pages: int


class Site:
    """Writes pages and their data files under one folder."""

    def __init__(self, out_dir: Path, common: dict[str, Any]) -> None:
        self.out, self.common, self.env, self.pages = out_dir, common, environment(), 0

    def data(self, name: str, table: list[dict[str, Any]]) -> dict[str, str]:
        """Write ``data/<name>.csv|json``; returns their paths relative to the site root."""
        folder = self.out / "data"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.csv").write_text(analytics.to_csv(table), encoding="utf-8")
        (folder / f"{name}.json").write_text(analytics.to_json(table) + "\n", encoding="utf-8")
        return {"csv": f"data/{name}.csv", "json": f"data/{name}.json"}

    def page(self, path: str, template: str, **context: Any) -> None:
        """Render one page; ``root`` is the relative way back to the site root."""
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        root = "../" * path.count("/")
        html = self.env.get_template(template).render(root=root, **self.common, **context)
        target.write_text(html, encoding="utf-8")
        self.pages += 1


def _provenance(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    ok = rows(con, "SELECT run_id, run_at, catalog_version, pricebook_version, simulated FROM runs "
                   "WHERE status = 'ok' ORDER BY run_at, run_id")
    return {
        "run_count": len(ok),
        "first_run": ok[0]["run_at"].date().isoformat() if ok else None,
        "last_run": ok[-1]["run_at"].date().isoformat() if ok else None,
        "catalog_versions": sorted({r["catalog_version"] for r in ok}),
        "pricebook_versions": sorted({r["pricebook_version"] for r in ok if r["pricebook_version"]}),
        "simulated": any(r["simulated"] for r in ok),
    }


def _group(table: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    out: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in table:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


def render_site(con: duckdb.DuckDBPyConnection, out_dir: Path, cfg: Config | None = None) -> SiteResult:
    """Render every page into ``out_dir`` (replacing an earlier site) and copy the static assets.

    ``cfg`` gives the "which model for which job" page its roles and the CCR configs their providers."""
    if (out_dir / "data").is_dir():
        shutil.rmtree(out_dir / "data")
    site = Site(out_dir, _provenance(con))
    board = query(con, "analytics/leaderboard")
    changes = query(con, "analytics/price_changes", window_days=WINDOW_DAYS)
    _index(site, con, board, changes)
    _models(site, con, board)
    _tasks(site, con)
    from costbench.report import route_page

    route_page.render(site, con, cfg)
    _changes(site, changes)
    _quality_and_runs(site, con)
    shutil.copytree(REPORTS_DIR / "static", out_dir / "static", dirs_exist_ok=True)
    return SiteResult(out_dir / "index.html", site.pages)


def _index(site: Site, con: duckdb.DuckDBPyConnection, board: list[dict[str, Any]],
           changes: list[dict[str, Any]]) -> None:
    site.page("index.html", "index.html.j2", leaderboard=board, downloads=site.data("leaderboard", board),
              chart=report_charts.cost_vs_success(board) if board else "", front=report_charts.pareto(board),
              changes=[c for c in changes if c["calls_before"] and c["calls_after"]],
              change_downloads=site.data("price_changes", changes))


def _models(site: Site, con: duckdb.DuckDBPyConnection, board: list[dict[str, Any]]) -> None:
    breakdown = _group(query(con, "analytics/cost_breakdown"), "provider", "model")
    nightly = _group(query(con, "analytics/nightly_cost"), "provider", "model")
    history = _group(query(con, "analytics/price_history"), "provider", "model")
    examples = _group(query(con, "report/examples"), "provider", "model")
    tasks = _group(query(con, "analytics/task_stats"), "provider", "model")
    for row in board:
        key = (row["provider"], row["model"])
        name = slug(f"{row['provider']}/{row['model']}")
        nights, prices = nightly.get(key, []), history.get(key, [])
        site.page(f"models/{name}.html", "model.html.j2", row=row, breakdown=breakdown.get(key, []),
                  tasks=tasks.get(key, []), examples=examples.get(key, []), prices=prices,
                  nightly_chart=report_charts.series(nights, "night", "cost_per_solved_task_usd", "cost per solved task (USD)") if nights else "",
                  price_chart=report_charts.series(prices, "effective_from", "output_per_mtok_usd", "output list price (USD/Mtok)") if len(prices) > 1 else "",
                  downloads={"breakdown": site.data(f"model-{name}-breakdown", breakdown.get(key, [])),
                             "tasks": site.data(f"model-{name}-tasks", tasks.get(key, [])),
                             "prices": site.data(f"model-{name}-prices", prices)})


def _tasks(site: Site, con: duckdb.DuckDBPyConnection) -> None:
    stats = _group(query(con, "analytics/task_stats"), "task_id", "task_version")
    examples = _group(query(con, "report/examples"), "task_id")
    site.data("task_stats", [r for rs in stats.values() for r in rs])
    for (task_id, version), task_rows in sorted(stats.items()):
        name = slug(f"{task_id}@{version}")
        site.page(f"tasks/{name}.html", "task.html.j2", task_id=task_id, version=version, rows=task_rows,
                  category=task_rows[0]["category"], examples=examples.get((task_id,), []),
                  downloads=site.data(f"task-{name}", task_rows))
    site.page("tasks/index.html", "tasks.html.j2", tasks=sorted(stats))


def _changes(site: Site, changes: list[dict[str, Any]]) -> None:
    for change in changes:
        site.page(f"changes/{slug(change['entry_id'])}.html", "change.html.j2", change=change, window_days=WINDOW_DAYS,
                  chart=report_charts.effects(change) if change["calls_before"] and change["calls_after"] else "",
                  downloads=site.data(f"change-{slug(change['entry_id'])}", [change]))
    site.page("changes/index.html", "changes.html.j2", changes=changes, window_days=WINDOW_DAYS)


def _quality_and_runs(site: Site, con: duckdb.DuckDBPyConnection) -> None:
    runs = query(con, "analytics/run_history")
    checks = query(con, "report/quality_results")
    site.page("runs.html", "runs.html.j2", runs=runs, downloads=site.data("run_history", runs))
    site.page("quality.html", "quality.html.j2", checks=checks, runs=runs, downloads=site.data("quality_results", checks))


def build(db_path: Path, out_dir: Path, cfg: Config | None = None) -> SiteResult:
    """Open the store and render the site."""
    with opened(db_path) as con:
        return render_site(con, out_dir, cfg)
