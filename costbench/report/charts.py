"""Charts for the report as inline SVG, rendered offline from Vega-Lite specs with vl-convert.

Specs are plain dicts (no altair needed); numbers are converted to float only here, for drawing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import vl_convert

_CONFIG = {"font": "system-ui, sans-serif", "view": {"stroke": None}}


def _svg(spec: dict[str, Any]) -> str:
    svg: str = vl_convert.vegalite_to_svg({"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
                                           "config": _CONFIG, **spec})
    return svg[svg.find("<svg"):] if "<svg" in svg else svg


def _f(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


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


def cost_vs_success(rows: list[dict[str, Any]]) -> str:
    """Scatter of cost per solved task (log x) against success rate; the Pareto front is highlighted."""
    front = set(pareto(rows))
    data = [{"model": f"{r['provider']}/{r['model']}", "cost": _f(r["cost_per_solved_task_usd"]),
             "success": _f(r["success_rate"]), "front": f"{r['provider']}/{r['model']}" in front}
            for r in rows if r["cost_per_solved_task_usd"]]
    return _svg({"width": 560, "height": 320, "data": {"values": data},
                 "layer": [{"mark": {"type": "point", "filled": True, "size": 90},
                            "encoding": {"x": {"field": "cost", "type": "quantitative", "scale": {"type": "log"},
                                               "title": "cost per solved task (USD, log)"},
                                         "y": {"field": "success", "type": "quantitative", "axis": {"format": "%"},
                                               "title": "success rate"},
                                         "color": {"field": "front", "type": "nominal", "title": "Pareto front"}}},
                           {"mark": {"type": "text", "dx": 6, "align": "left", "fontSize": 10},
                            "encoding": {"x": {"field": "cost", "type": "quantitative", "scale": {"type": "log"}},
                                         "y": {"field": "success", "type": "quantitative"},
                                         "text": {"field": "model"}}}]})


def series(rows: list[dict[str, Any]], x: str, y: str, title: str, color: str | None = None) -> str:
    """A line chart over time (nightly cost, price history)."""
    data = [{"x": str(r[x]), "y": _f(r[y]), "c": r[color] if color else ""} for r in rows if r[y] is not None]
    encoding: dict[str, Any] = {"x": {"field": "x", "type": "temporal", "title": None},
                                "y": {"field": "y", "type": "quantitative", "title": title}}
    if color:
        encoding["color"] = {"field": "c", "type": "nominal", "title": None}
    return _svg({"width": 560, "height": 220, "data": {"values": data},
                 "mark": {"type": "line", "point": True, "interpolate": "step-after" if "price" in title else "linear"},
                 "encoding": encoding})


def effects(row: dict[str, Any]) -> str:
    """Bars of the decomposition of a price change: price, cache, FX and usage effects (USD per solved task)."""
    data = [{"effect": name, "usd": _f(row[key])} for name, key in
            (("price", "price_effect_usd"), ("cache", "cache_effect_usd"), ("FX", "fx_effect_usd"),
             ("usage", "usage_effect_usd"))
            if row[key] is not None]
    return _svg({"width": 360, "height": 160, "data": {"values": data}, "mark": "bar",
                 "encoding": {"y": {"field": "effect", "type": "nominal", "title": None, "sort": None},
                              "x": {"field": "usd", "type": "quantitative", "title": "USD per solved task"}}})
