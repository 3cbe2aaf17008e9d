"""Charts for the report as inline SVG, rendered offline from Vega-Lite specs with vl-convert.

Specs are plain dicts (no altair needed); numbers are converted to float only here, for drawing.
Chart functions return a :class:`Chart` (the spec); a :class:`Drawer` draws each distinct spec once, in the
background while the site goes on, and keeps the SVGs by spec hash in the site's ``.charts/`` folder, so a
rebuild redraws only the charts whose data changed. Money axes are in
USD per 1,000 solved tasks, with a ``$`` on every tick. The SVGs scale down with the page (CSS).
"""

from __future__ import annotations

import hashlib
import json
import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import vl_convert

_CONFIG = {"font": "DejaVu Sans, Verdana, sans-serif", "view": {"stroke": None}, "padding": 8,  # a font both vl-convert and browsers measure alike
           "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelOverlap": "greedy"},
           # one column per legend: browsers' fonts run wider than vl-convert's measurements, and
           # side-by-side legend columns then overlap
           "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom", "direction": "vertical",
                      "labelLimit": 320, "columnPadding": 24}}
PER = 1000
MONEY = f"USD per {PER:,} solved tasks"
WIDTH = 520


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite spec waiting to be drawn; ``key`` identifies equal specs."""

    key: str
    spec: str


def _chart(spec: dict[str, Any]) -> Chart:
    text = json.dumps({"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "config": _CONFIG, **spec},
                      sort_keys=True)
    return Chart(hashlib.sha256(text.encode()).hexdigest()[:16], text)


def _svg(spec: str) -> str:
    svg: str = vl_convert.vegalite_to_svg(json.loads(spec))
    return svg[svg.find("<svg"):] if "<svg" in svg else svg


class Drawer:
    """Draws each distinct chart spec once, starting as soon as a page hands it over, on background threads:
    vl-convert renders in its own V8 thread with the GIL released, so drawing overlaps the site's remaining
    queries and templates. (Worker processes were measured slower on this shared 2-core machine and would
    re-import the caller's main module.) ``cache`` keeps SVGs by spec hash between builds."""

    def __init__(self, cache: Path | None = None, workers: int = 2) -> None:
        self.cache, self.workers = cache, workers
        self._specs: dict[str, str] = {}
        self._done: dict[str, str] = {}
        self._drawing: dict[str, Future[str]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def submit(self, chart: Chart) -> None:
        """Start drawing one chart (a spec seen before, or cached, is not drawn again)."""
        if chart.key in self._specs:
            return
        self._specs[chart.key] = chart.spec
        cached = self.cache / f"{chart.key}.svg" if self.cache is not None else None
        if cached is not None and cached.is_file():
            self._done[chart.key] = cached.read_text(encoding="utf-8")
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="costbench-chart")
        self._drawing[chart.key] = self._pool.submit(_svg, chart.spec)

    def finish(self) -> dict[str, str]:
        """SVG per chart key: waits for the drawing, updates and prunes the cache."""
        drawn = {key: future.result() for key, future in self._drawing.items()}
        if self._pool is not None:
            self._pool.shutdown()
        if self.cache is not None:
            self._store(drawn)
        return {**self._done, **drawn}

    def _store(self, drawn: dict[str, str]) -> None:
        assert self.cache is not None
        self.cache.mkdir(parents=True, exist_ok=True)
        for key, svg in drawn.items():
            (self.cache / f"{key}.svg").write_text(svg, encoding="utf-8")
        for stale in self.cache.glob("*.svg"):  # charts no page uses any more
            if stale.stem not in self._specs:
                stale.unlink()


def draw_all(charts: list[Chart], cache: Path | None = None, workers: int = 2) -> dict[str, str]:
    """SVG per chart key, each distinct spec drawn once; ``cache`` keeps SVGs by spec hash between builds."""
    drawer = Drawer(cache, workers)
    for chart in charts:
        drawer.submit(chart)
    return drawer.finish()


def _f(value: Decimal | float | None, scale: int = 1) -> float | None:
    return None if value is None else float(value) * scale


def log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 tick values covering [low, high] for a log axis: readable and never crowded."""
    if low <= 0 or high <= 0:
        return []
    ticks = [m * 10.0 ** e for e in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
             for m in (1, 2, 5)]
    inside = [t for t in ticks if low / 1.0001 <= t <= high * 1.0001]
    if len(inside) < 2:
        inside = [t for t in ticks if low / 10 <= t <= high * 10]
    return inside if len(inside) <= 6 else [t for t in inside if round(t / 10.0 ** math.floor(math.log10(t))) == 1]


def pareto(points: list[dict[str, Any]]) -> list[str]:
    """Models on the cost/success Pareto front: no other model is both cheaper and more successful."""
    front = []
    for p in points:
        cost, rate = p["cost_per_solved_task_usd"], p["success_rate"]
        if cost is None:
            continue
        dominated = any(q is not p and q["cost_per_solved_task_usd"] is not None and q["cost_per_solved_task_usd"] <= cost
                        and (q["success_rate"] or 0) >= (rate or 0)
                        and (q["cost_per_solved_task_usd"] < cost or (q["success_rate"] or 0) > (rate or 0))
                        for q in points)
        if not dominated:
            front.append(f"{p['provider']}/{p['model']}")
    return front


def cost_vs_success(rows: list[dict[str, Any]]) -> Chart:
    """Cost per 1,000 solved tasks (log x, with 95 % whiskers) against success rate; Pareto front by shape."""
    front = set(pareto(rows))
    data = [{"model": f"{r['provider']}/{r['model']}", "cost": _f(r["cost_per_solved_task_usd"], PER),
             "lo": _f(r["cpst_ci_low_usd"], PER) or _f(r["cost_per_solved_task_usd"], PER),
             "hi": _f(r["cpst_ci_high_usd"], PER) or _f(r["cost_per_solved_task_usd"], PER),
             "success": _f(r["success_rate"]),
             "front": "on the Pareto front" if f"{r['provider']}/{r['model']}" in front else "not on the front"}
            for r in rows if r["cost_per_solved_task_usd"]]
    values = [v for d in data for v in (d["lo"], d["hi"]) if v]
    x = {"field": "cost", "type": "quantitative", "title": f"{MONEY} (log scale; whiskers: 95 % interval)",
         "scale": {"type": "log", "nice": False, "padding": 12},
         "axis": {"values": log_ticks(min(values), max(values)) if values else [], "format": "$,.3~g"}}
    y = {"field": "success", "type": "quantitative", "title": "success rate", "axis": {"format": ".0%"},
         "scale": {"zero": False, "padding": 12}}
    color: dict[str, Any] = ({"field": "model", "type": "nominal", "title": None} if len(data) <= 12
                             else {"value": "#0969da"})
    shape = {"field": "front", "type": "nominal", "title": None,
             "scale": {"domain": ["on the Pareto front", "not on the front"], "range": ["circle", "triangle-up"]}}
    return _chart({"width": WIDTH, "height": 300, "data": {"values": data}, "layer": [
        {"mark": {"type": "rule", "strokeWidth": 1.5}, "encoding": {"x": {**x, "field": "lo"}, "x2": {"field": "hi"},
                                                                    "y": y, "color": color}},
        {"mark": {"type": "point", "filled": True, "size": 110, "opacity": 0.9},
         "encoding": {"x": x, "y": y, "color": color, "shape": shape,
                      "tooltip": [{"field": "model"}, {"field": "cost", "format": "$,.3~g"}]}}]})


def nightly(rows: list[dict[str, Any]], changes: list[dict[str, Any]]) -> Chart:
    """Cost per 1,000 solved tasks night by night, with a dashed marker at each price change."""
    data = [{"night": str(r["night"]), "cost": _f(r["cost_per_solved_task_usd"], PER)}
            for r in rows if r["cost_per_solved_task_usd"] is not None]
    nights = [d["night"] for d in data]
    marks = [{"at": str(c["effective_from"])[:10], "label": f"price change {str(c['effective_from'])[:10]}"}
             for c in changes if nights and nights[0] <= str(c["effective_from"])[:10] <= nights[-1]]
    layers: list[dict[str, Any]] = [{"mark": {"type": "line", "point": len(data) <= 60},
                                     "encoding": {"x": {"field": "night", "type": "temporal", "title": None,
                                                        "axis": {"format": "%b %d", "tickCount": 6}},
                                                  "y": {"field": "cost", "type": "quantitative", "title": MONEY,
                                                        "axis": {"format": "$,.3~g", "tickCount": 5}}}}]
    if marks:
        layers.append({"data": {"values": marks}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#cf222e"},
                       "encoding": {"x": {"field": "at", "type": "temporal"}}})
        layers.append({"data": {"values": marks}, "mark": {"type": "text", "align": "left", "dx": 4, "dy": -4,
                                                           "baseline": "top", "color": "#cf222e", "fontSize": 10},
                       "encoding": {"x": {"field": "at", "type": "temporal"}, "y": {"value": 0},
                                    "text": {"field": "label"}}})
    return _chart({"width": WIDTH, "height": 200, "layer": layers, "data": {"values": data}})


def effects(row: dict[str, Any]) -> Chart:
    """Before and after bars with the price, cache, FX and behaviour effects between them (a waterfall)."""
    before, after = _f(row["cpst_before_usd"], PER) or 0.0, _f(row["cpst_after_usd"], PER) or 0.0
    steps, level = [{"step": "before", "start": 0.0, "end": before, "kind": "total"}], before
    for name, key in (("price effect", "price_effect_usd"), ("cache effect", "cache_effect_usd"),
                      ("FX effect", "fx_effect_usd"), ("behaviour effect", "usage_effect_usd")):
        if row.get(key) is None:  # no data: no bar (never a made-up zero)
            continue
        delta = _f(row[key], PER) or 0.0
        steps.append({"step": name, "start": level, "end": level + delta, "kind": "up" if delta > 0 else "down"})
        level += delta
    steps.append({"step": "after", "start": 0.0, "end": after, "kind": "total"})
    colors = {"domain": ["total", "down", "up"], "range": ["#57606a", "#2da44e", "#cf222e"]}
    return _chart({"width": WIDTH - 120, "height": 170, "data": {"values": steps}, "mark": "bar",
                   "encoding": {"y": {"field": "step", "type": "nominal", "title": None, "sort": None},
                                "x": {"field": "start", "type": "quantitative", "title": MONEY,
                                      "axis": {"format": "$,.3~g", "tickCount": 5}},
                                "x2": {"field": "end"},
                                "color": {"field": "kind", "type": "nominal", "scale": colors, "legend": None}}})


def series(rows: list[dict[str, Any]], x: str, y: str, title: str, color: str | None = None) -> str:
    """A line chart over time drawn at once (kept for pages that want an SVG string right away)."""
    data = [{"x": str(r[x]), "y": _f(r[y]), "c": r[color] if color else ""} for r in rows if r[y] is not None]
    encoding: dict[str, Any] = {"x": {"field": "x", "type": "temporal", "title": None},
                                "y": {"field": "y", "type": "quantitative", "title": title}}
    if color:
        encoding["color"] = {"field": "c", "type": "nominal", "title": None}
    return _svg(_chart({"width": WIDTH, "height": 200, "data": {"values": data},
                        "mark": {"type": "line", "point": len(data) <= 60}, "encoding": encoding}).spec)
