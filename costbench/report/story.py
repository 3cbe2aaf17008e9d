"""The headline of the report: what a price change announced against what the bill per solved task did.

Every number in the sentence comes from the ``price_changes`` query (never written by hand); the three
effects are shares of the "before" cost per solved task, so price + cache + behaviour = the measured change.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from costbench.report.formatting import signed_pct

PROVIDER_NAMES = {"deepseek": "DeepSeek", "openai": "OpenAI", "anthropic": "Anthropic", "google": "Google",
                  "mistral": "Mistral", "xai": "xAI", "openrouter": "OpenRouter"}


def _share(effect: Decimal | None, before: Decimal) -> float | None:
    return None if effect is None else float(effect / before * 100)


def _announced(change: dict[str, Any]) -> str:
    parts = [(change["advertised_output_change_pct"], "output"), (change["advertised_input_change_pct"], "input"),
             (change.get("advertised_cache_read_change_pct"), "cache reads")]
    said = [f"{signed_pct(v)} on {what}" for v, what in parts if v is not None]
    return said[0] + (f" ({', '.join(said[1:])})" if len(said) > 1 else "")


ROUTERS = {"openrouter"}
"""Gateways that resell another provider's model under ``vendor/model``: the story is told of the provider
itself, and the gateway's copy adds when its bill followed."""


def pick(changes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The measured change with the deepest advertised cut (the latest on a tie), a direct provider's first."""
    measured = [c for c in changes if c["calls_before"] and c["calls_after"] and c["cpst_before_usd"]
                and c["cpst_after_usd"] is not None and c["advertised_blended_change_pct"] is not None]
    direct = [c for c in measured if c["provider"] not in ROUTERS] or measured
    if not direct:
        return None
    return min(direct, key=lambda c: (c["advertised_blended_change_pct"], -c["effective_from"].timestamp()))


def routed_lag(changes: list[dict[str, Any]], change: dict[str, Any]) -> str:
    """A sentence on when a gateway's copy of the same change reached its bill (measured), or ""."""
    for c in changes:
        same = (c["provider"] in ROUTERS and c["provider"] != change["provider"]
                and c["model"].rsplit("/", 1)[-1] == change["model"] and c["effective_from"] == change["effective_from"])
        if same and c.get("billing_lag_days") is not None:
            days = c["billing_lag_days"]
            when = "the same day" if days == 0 else f"{days} day{'s' if days != 1 else ''} after the announcement"
            return f" Routed through {PROVIDER_NAMES.get(c['provider'], c['provider'])}, the new price reached the bill {when}."
    return ""


def headline(changes: list[dict[str, Any]], window_days: int) -> dict[str, Any] | None:
    """``{"sentence": …, "change": …}`` for the picked change, or None when none is measured on both sides."""
    change = pick(changes)
    if change is None:
        return None
    before = change["cpst_before_usd"]
    measured = change["measured_cpst_change_pct"]
    provider = PROVIDER_NAMES.get(change["provider"], change["provider"])
    effects = ", ".join(f"{name} {signed_pct(_share(change[key], before))}" for name, key in
                        (("price", "price_effect_usd"), ("cache", "cache_effect_usd"),
                         ("behaviour", "usage_effect_usd")))
    moved = "fell" if measured < 0 else "rose"
    sentence = (f"{provider} announced {_announced(change)} for {change['model']} from "
                f"{change['effective_from']:%Y-%m-%d}; measured over {window_days} days either side, its cost per "
                f"solved task {moved} {abs(measured):.1f}\u00a0%: price {effects.removeprefix('price ')}."
                f"{routed_lag(changes, change)}")
    return {"sentence": sentence, "change": change}


def from_store(db_path: Path, window_days: int = 7) -> str | None:
    """The headline sentence of the store at ``db_path`` (read only), or None."""
    from costbench.store.db import opened, query

    with opened(db_path, read_only=True) as con:
        found = headline(query(con, "analytics/price_changes", window_days=window_days), window_days)
    return found["sentence"] if found else None
