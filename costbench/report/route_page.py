"""The report page "Which model for which job": per-role recommendations, baselines, whiskers, CCR configs."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from costbench import route, route_formats
from costbench.config import DEFAULT_ROLES, Config
from costbench.report import charts as report_charts

Site = Any
"""The :class:`costbench.report.site.Site` being built (not imported: the site imports this module)."""

REFERENCE = "anthropic/claude-sonnet-4"
"""The "route everything to one model" choice the saving is measured against."""
MONTHLY_TOKENS = 15_000_000


def whiskers(rec: route.Recommendation) -> report_charts.Chart | str:
    """Success rate with its 95 % Wilson interval per candidate, one row of the chart per role, the bar as a dashed
    line (inline SVG; one chart, because each render costs ~0.5 s)."""
    values = [{"role": role, "model": c.name, "rate": c.success_rate, "low": c.success_low, "high": c.success_high,
               "kind": "baseline" if c.is_baseline else ("recommended" if c is ch.pick else "model"), "bar": rec.bar}
              for role, ch in rec.roles.items() for c in ch.candidates]
    if not values:
        return ""
    y = {"field": "model", "type": "nominal", "sort": None, "title": None}
    layers = [
        {"mark": "rule", "encoding": {"y": y, "x": {"field": "low", "type": "quantitative", "scale": {"domain": [0, 1]},
                                                    "title": "success rate, 95 % Wilson interval"}, "x2": {"field": "high"}}},
        {"mark": {"type": "point", "filled": True, "size": 50},
         "encoding": {"y": y, "x": {"field": "rate", "type": "quantitative"}, "color": {"field": "kind", "type": "nominal",
                      "scale": {"domain": ["recommended", "model", "baseline"], "range": ["#1a7f37", "#57606a", "#8250df"]}}}},
        {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#cf222e"}, "encoding": {"x": {"field": "bar", "type": "quantitative"}}}]
    spec = {"data": {"values": values}, "facet": {"row": {"field": "role", "type": "nominal", "sort": list(rec.roles),
                                                          "title": None}},
            "spec": {"width": 360, "height": {"step": 16}, "layer": layers},
            "resolve": {"scale": {"y": "independent"}}}
    return report_charts._chart(spec)  # drawn (once, cached) when the site finishes


def _configs(site: Site, rec: route.Recommendation, cfg: Config | None) -> dict[str, str]:
    """Write the CCR configs next to the data files; empty when there is no config or nothing to route."""
    if cfg is None:
        return {}
    folder = site.out / "data"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        v1 = json.dumps(route_formats.ccr_v1(rec, cfg), indent=2)
        v3 = "\n".join("// " + line for line in route_formats.v3_comment(rec)) + "\n" + \
            json.dumps(route_formats.ccr_v3(rec, cfg), indent=2)
    except ValueError:
        return {}
    (folder / "ccr-config.v1.json").write_text(v1 + "\n", encoding="utf-8")
    (folder / "ccr-config.v3.jsonc").write_text(v3 + "\n", encoding="utf-8")
    return {"v1": "data/ccr-config.v1.json", "v3": "data/ccr-config.v3.jsonc"}


def render(site: Site, con: duckdb.DuckDBPyConnection, cfg: Config | None = None, bar: float = 0.8,
           window_days: int = 14) -> None:
    """Render ``route.html`` (and its CSV/JSON and the CCR configs)."""
    roles = cfg.roles if cfg is not None else DEFAULT_ROLES
    rec = route.recommend(con, roles, bar=bar, window_days=window_days)
    table = [{"role": role, "model": c["model"], "success_rate": c["success_rate"], "success_low": c["success_low"],
              "success_high": c["success_high"], "cost_per_solved_usd": c["cost_per_solved_usd"], "solved": c["solved"],
              "attempts": c["attempts"], "meets_bar": c["meets_bar"], "recommended": c["model"] == r["model"]}
             for role, r in route_formats.to_json(rec)["roles"].items() for c in r["candidates"]]
    saving = route.monthly_saving(rec, REFERENCE, MONTHLY_TOKENS)
    site.page("route.html", "route.html.j2", rec=rec, roles=list(rec.roles.values()),
              chart=whiskers(rec), reference=REFERENCE,
              monthly_tokens=MONTHLY_TOKENS, saving=saving, configs=_configs(site, rec, cfg),
              downloads=site.data("route", table))
