"""Render the static report site from the store with Jinja2 (autoescape on, StrictUndefined).

Everything is computed before the templates (which only loop and format, with the filters of
:mod:`costbench.report.formatting`). Every table is also written next to its page as CSV and JSON.
Links are relative, so the site works from disk and from any static host; output is deterministic
for the same data (no wall-clock timestamps, stable ordering).

Pages are the functions in :data:`PAGES`, each ``page(site, data)``; a new page is one function and
one line there. Queries go through :class:`Data`, which runs each one once per build (pages share the
scans), and charts are drawn in the background as pages hand them over, each distinct spec once.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from costbench.report import charts as report_charts
from costbench.report import formatting
from costbench.report.formatting import interval, pct, ratio, signed_pct, tokens, usd, usd_per_k
from costbench.report.story import headline
from costbench.store import analytics
from costbench.store.db import opened, query, rows

if TYPE_CHECKING:
    from costbench.config import Config

REPORTS_DIR = Path(__file__).resolve().parent.parent.parent / "reports"
WINDOW_DAYS = 7
__all__ = ["PAGES", "Data", "Site", "SiteResult", "build", "environment", "render_site", "slug", "usd"]


def slug(text: str) -> str:
    """A file-name-safe slug (``anthropic/claude-sonnet-4`` → ``anthropic--claude-sonnet-4``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.replace("/", "--")).strip("-")


_BYTECODE = FileSystemBytecodeCache()
"""Compiled templates, kept like .pyc files in a per-user temporary folder and keyed by each template's
checksum: compiling the 14 templates takes ~0.6 s, a twelfth of a year-long site's build."""


def environment() -> Environment:
    """The Jinja environment of the report templates."""
    env = Environment(loader=FileSystemLoader(REPORTS_DIR / "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, bytecode_cache=_BYTECODE)
    env.filters.update(usd=usd, usd_k=usd_per_k, interval=interval, tokens=tokens, pct=pct, signed_pct=signed_pct,
                       ratio=ratio, slug=slug, dv=_data_value, keep_dates=_keep_dates)
    env.globals.update(NONE=formatting.NONE, PER=formatting.PER)
    return env


def _keep_dates(text: str) -> str:
    """ISO dates with non-breaking hyphens, so a sentence never wraps inside ``2025-09-29``."""
    return re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", "\\1\u2011\\2\u2011\\3", text)


def _data_value(value: Any) -> str:
    """A sortable ``data-v`` attribute value: exact decimals, empty when missing."""
    return "" if value is None else str(formatting.exact(value))


@dataclass(frozen=True)
class SiteResult:
    """Where the site went."""

    index: Path
    pages: int
    headline: str | None = None
    """The index's headline sentence, when a price change is measured on both sides."""


@dataclass
class Data:
    """The store's query results for one build, each query run once and shared by the pages."""

    con: duckdb.DuckDBPyConnection
    cfg: Config | None = None
    """The configuration (roles of the routing page), when the caller has one."""
    _results: dict[tuple[str, tuple[tuple[str, Any], ...]], list[dict[str, Any]]] = field(default_factory=dict)

    def get(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of ``sql/<name>.sql`` (e.g. ``analytics/leaderboard``)."""
        key = (name, tuple(sorted(params.items())))
        if key not in self._results:
            self._results[key] = query(self.con, name, **params)
        return self._results[key]

    def grouped(self, name: str, *keys: str) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
        """Rows of a query grouped by ``keys``."""
        return _group(self.get(name), *keys)


class Site:
    """Writes pages and their data files under one folder; charts are drawn in :meth:`finish`."""

    def __init__(self, out_dir: Path, common: dict[str, Any]) -> None:
        self.out, self.common, self.env, self.pages = out_dir, common, environment(), 0
        self._html: dict[Path, str] = {}
        self._drawer = report_charts.Drawer(cache=out_dir / ".charts")

    def data(self, name: str, table: list[dict[str, Any]]) -> dict[str, str]:
        """Write ``data/<name>.csv|json``; returns their paths relative to the site root."""
        folder = self.out / "data"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.csv").write_text(analytics.to_csv(table), encoding="utf-8")
        (folder / f"{name}.json").write_text(analytics.to_json(table) + "\n", encoding="utf-8")
        return {"csv": f"data/{name}.csv", "json": f"data/{name}.json"}

    def chart(self, chart: report_charts.Chart | str) -> Markup:
        """A placeholder for a chart, drawn meanwhile in the background (an SVG string passes through)."""
        if isinstance(chart, str):
            return Markup(chart)
        self._drawer.submit(chart)
        return Markup(f"<!--chart:{chart.key}-->")

    def page(self, path: str, template: str, **context: Any) -> None:
        """Render one page; ``root`` is the relative way back to the site root. Charts may be passed as-is."""
        target = self.out / path
        root = "../" * path.count("/")
        context = {k: self.chart(v) if isinstance(v, report_charts.Chart) else v for k, v in context.items()}
        self._html[target] = self.env.get_template(template).render(root=root, **self.common, **context)
        self.pages += 1

    def finish(self) -> None:
        """Draw every distinct chart once and write the pages."""
        svgs = self._drawer.finish()
        for target, html in self._html.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            html = re.sub(r"<!--chart:([0-9a-f]{16})-->", lambda m: svgs[m.group(1)], html)
            target.write_text(html, encoding="utf-8")


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


def _measured(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in changes if c["calls_before"] and c["calls_after"]]


def index_page(site: Site, data: Data) -> None:
    """The leaderboard, the headline of the latest measured price change, the scatter."""
    board = data.get("analytics/leaderboard")
    changes = data.get("analytics/price_changes", window_days=WINDOW_DAYS)
    precision = data.get("analytics/price_of_precision")  # adaptive nights only (costbench run --precision)
    site.page("index.html", "index.html.j2", leaderboard=board, downloads=site.data("leaderboard", board),
              chart=report_charts.cost_vs_success(board) if board else "", front=report_charts.pareto(board),
              changes=_measured(changes), headline=headline(_measured(changes), WINDOW_DAYS),
              change_downloads=site.data("price_changes", changes), precision=precision,
              precision_downloads=site.data("price_of_precision", precision) if precision else {})


def model_pages(site: Site, data: Data) -> None:
    """One page per model: nightly cost with price-change markers, where the money goes, tasks, prices."""
    breakdown = data.grouped("analytics/cost_breakdown", "provider", "model")
    nightly = data.grouped("analytics/nightly_cost", "provider", "model")
    history = data.grouped("analytics/price_history", "provider", "model")
    examples = data.grouped("report/examples", "provider", "model")
    tasks = data.grouped("analytics/task_stats", "provider", "model")
    for row in data.get("analytics/leaderboard"):
        key = (row["provider"], row["model"])
        name = slug(f"{row['provider']}/{row['model']}")
        nights, prices = nightly.get(key, []), history.get(key, [])
        site.page(f"models/{name}.html", "model.html.j2", row=row, breakdown=breakdown.get(key, []),
                  tasks=tasks.get(key, []), examples=examples.get(key, []), prices=prices,
                  nightly_chart=report_charts.nightly(nights, prices[1:]) if nights else "",
                  downloads={"breakdown": site.data(f"model-{name}-breakdown", breakdown.get(key, [])),
                             "tasks": site.data(f"model-{name}-tasks", tasks.get(key, [])),
                             "prices": site.data(f"model-{name}-prices", prices)})


def _best(task_rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    solved = [r for r in task_rows if r["cost_per_solved_task_usd"] is not None]
    return min(solved, key=lambda r: (r["cost_per_solved_task_usd"], r["provider"], r["model"])) if solved else None


def task_pages(site: Site, data: Data) -> None:
    """One page per task version and an index with category, best model and its cost."""
    stats = data.grouped("analytics/task_stats", "task_id", "task_version")
    examples = data.grouped("report/examples", "task_id")
    site.data("task_stats", data.get("analytics/task_stats"))
    index = []
    for (task_id, version), task_rows in sorted(stats.items()):
        name = slug(f"{task_id}@{version}")
        site.page(f"tasks/{name}.html", "task.html.j2", task_id=task_id, version=version, rows=task_rows,
                  category=task_rows[0]["category"], examples=examples.get((task_id,), []),
                  downloads=site.data(f"task-{name}", task_rows))
        index.append({"task_id": task_id, "version": version, "page": f"{name}.html", "category": task_rows[0]["category"],
                      "models": len(task_rows), "best": _best(task_rows)})
    site.page("tasks/index.html", "tasks.html.j2", tasks=index)


def change_pages(site: Site, data: Data) -> None:
    """One page per price change (announced vs measured, the decomposition) and their index."""
    changes = data.get("analytics/price_changes", window_days=WINDOW_DAYS)
    for change in changes:
        measured = bool(change["calls_before"] and change["calls_after"])
        name = slug(_event_id(change))
        site.page(f"changes/{name}.html", "change.html.j2", change=change, window_days=WINDOW_DAYS,
                  chart=report_charts.effects(change) if measured else "",
                  headline=headline([change], WINDOW_DAYS) if measured else None,
                  downloads=site.data(f"change-{name}", [change]))
    site.page("changes/index.html", "changes.html.j2", changes=changes, window_days=WINDOW_DAYS)


def _event_id(change: dict[str, Any]) -> str:
    """A price change's page is its entry; a window event adds its kind and window (same entry, own page)."""
    if change.get("window_name") is None:
        return change["entry_id"]
    return f"{change['entry_id']}-{change['event_kind']}-{change['window_name']}"


def _run_summaries(runs: list[dict[str, Any]], checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_run = _group(checks, "run_id")
    return [{**r, "checks": by_run.get((r["run_id"],), []),
             "failed": [c for c in by_run.get((r["run_id"],), []) if not c["passed"]]} for r in runs]


def quality_and_run_pages(site: Site, data: Data) -> None:
    """Run history, and data quality as one summary line per run with its checks folded."""
    runs = data.get("analytics/run_history")
    checks = data.get("report/quality_results")
    site.page("runs.html", "runs.html.j2", runs=runs, downloads=site.data("run_history", runs))
    recon, fx = data.get("analytics/reconciliation"), data.get("analytics/fx_rates_used")
    site.page("quality.html", "quality.html.j2", summaries=_run_summaries(runs, checks), reconciliation=recon,
              fx_rates=fx, recon_downloads=site.data("reconciliation", recon),
              downloads=site.data("quality_results", checks))


def route_page(site: Site, data: Data) -> None:
    """"Which model for which job": per-role recommendations and the router configs."""
    from costbench.report import route_page as page

    page.render(site, data.con, data.cfg)


def bill_page(site: Site, data: Data) -> None:
    """"Your bill", only when usage exports were imported (costbench bill import)."""
    from costbench.bills.page import render_bills

    render_bills(site, data.con)


PAGES: list[Callable[[Site, Data], None]] = [index_page, model_pages, task_pages, route_page, change_pages,
                                            quality_and_run_pages, bill_page]
"""Every page of the site, in order; each gets the :class:`Site` and the shared :class:`Data`."""


def render_site(con: duckdb.DuckDBPyConnection, out_dir: Path, cfg: Config | None = None) -> SiteResult:
    """Render every page into ``out_dir`` (replacing an earlier site) and copy the static assets.

    ``cfg`` gives the "which model for which job" page its roles and the CCR configs their providers."""
    if (out_dir / "data").is_dir():
        shutil.rmtree(out_dir / "data")
    site, data = Site(out_dir, _provenance(con)), Data(con, cfg)
    for page in PAGES:
        page(site, data)
    site.finish()
    shutil.copytree(REPORTS_DIR / "static", out_dir / "static", dirs_exist_ok=True)
    story = headline(_measured(data.get("analytics/price_changes", window_days=WINDOW_DAYS)), WINDOW_DAYS)
    return SiteResult(out_dir / "index.html", site.pages, story["sentence"] if story else None)


def build(db_path: Path, out_dir: Path, cfg: Config | None = None) -> SiteResult:
    """Open the store read-only (other readers and a waiting writer are not blocked for long) and render."""
    with opened(db_path, read_only=True) as con:
        return render_site(con, out_dir, cfg)
