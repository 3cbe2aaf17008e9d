"""Import dated price entries from the maintained ``genai-prices`` package (its bundled snapshot, offline).

genai-prices has no announcement dates and no native currencies; costbench's own YAML in
``costbench/prices/`` therefore takes precedence: for any (provider, model) that an own file defines,
imported entries are ignored (``pricebook.load_pricebook``). Imported files go to
a folder given with ``--out`` (never the package). Mapping: ``input_mtok`` → input_uncached,
``cache_read_mtok`` → cache_read, ``cache_write_mtok`` → cache_write_5m, ``cache_write_1h_mtok`` →
cache_write_1h, ``output_mtok`` → output; ``TieredPrices`` → tiers (cliffs over total input, strictly above
the start); a ``StartDateConstraint`` → a dated entry; a ``TimeOfDateConstraint`` → a time-of-day window of
the entry in force. A model without an input or an output price is refused (never priced "0"); an upstream
price without a start date is marked ``undated`` (its ``effective_from`` is a placeholder) and every
imported entry is ``unverified``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import yaml
from genai_prices import data_snapshot, types

try:
    from importlib.metadata import version as _pkg_version

    _VERSION = _pkg_version("genai-prices")
except Exception:  # noqa: BLE001 (metadata missing in odd installs: the evidence line just lacks the version)
    _VERSION = "(unknown version)"

from costbench.errors import PriceBookError, UnknownModel, did_you_mean

# costbench provider name → genai-prices provider id
PROVIDER_IDS = {"deepseek": "deepseek", "mistral": "mistral", "xai": "x-ai", "google": "google",
                "anthropic": "anthropic", "openai": "openai", "openrouter": "openrouter"}
EPOCH = "2023-01-01T00:00:00Z"
"""Placeholder effective_from of undated upstream prices; such entries carry ``undated: true``."""
_NAMES = {"input_uncached": "input_mtok", "cache_read": "cache_read_mtok", "cache_write_5m": "cache_write_mtok",
          "cache_write_1h": "cache_write_1h_mtok", "output": "output_mtok"}


def _rate(value: Any) -> tuple[Decimal | None, list[dict[str, Any]]]:
    if value is None:
        return None, []
    if isinstance(value, types.TieredPrices):
        return Decimal(value.base), [{"start": t.start, "price": Decimal(t.price)} for t in value.tiers]
    return Decimal(value), []


def _rates(price: types.ModelPrice, model: str) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    rates: dict[str, Any] = {}
    tiers: dict[int, dict[str, Any]] = {}
    for ours, theirs in _NAMES.items():
        base, tiered = _rate(getattr(price, theirs, None))
        if base is not None:
            rates[ours] = str(base)
        for t in tiered:
            tiers.setdefault(t["start"], {})[ours] = str(t["price"])
    missing = [f for f in ("input_uncached", "output") if f not in rates]
    if missing:
        raise PriceBookError(f"genai-prices model {model!r} has no {' and no '.join(_NAMES[f] for f in missing)}: "
                             f"refusing to price it as 0; write its entry in your own price file instead")
    return rates, tiers


def _entry(price: types.ModelPrice, start: str, snapshot_note: str, model: str) -> dict[str, Any]:
    rates, tiers = _rates(price, model)
    undated = start == EPOCH
    entry: dict[str, Any] = {"effective_from": start, "currency": "USD", "rates": rates,
                             "source": "https://github.com/pydantic/genai-prices", "checked_on": date.today().isoformat(),
                             "confidence": "unverified",
                             "evidence": f"imported from genai-prices {_VERSION} (bundled snapshot), model {model!r}; "
                                         + ("upstream gives no start date" if undated else f"upstream start date {start[:10]}"),
                             "notes": snapshot_note}
    if undated:
        entry["undated"] = True
    if tiers:
        entry["tiers"] = [{"above_input_tokens": start_tokens, "rates": {**rates, **tier}}
                          for start_tokens, tier in sorted(tiers.items())]
    return entry


def model_entries(info: types.ModelInfo) -> list[dict[str, Any]]:
    """Dated entries of one upstream model."""
    note = f"imported from genai-prices model {info.id!r}"
    if isinstance(info.prices, types.ModelPrice):
        return [_entry(info.prices, EPOCH, note + "; no start date upstream", info.id)]
    entries: list[dict[str, Any]] = []
    for cond in info.prices:
        constraint = cond.constraint
        if isinstance(constraint, types.TimeOfDateConstraint) and entries:
            rates, _ = _rates(cond.prices, info.id)
            entries[-1].setdefault("windows", []).append({"name": "time-of-day", "start_utc": constraint.start_time.replace(tzinfo=None).isoformat(),
                                                          "end_utc": constraint.end_time.replace(tzinfo=None).isoformat(),
                                                          "rates": rates})
        else:
            start = f"{constraint.start_date.isoformat()}T00:00:00Z" if isinstance(constraint, types.StartDateConstraint) else EPOCH
            entries.append(_entry(cond.prices, start, note, info.id))
    return entries


def import_provider(provider: str, models: list[str]) -> dict[str, Any]:
    """The price-file document (``provider`` + ``models``) for the given models of one provider."""
    snapshot = data_snapshot.get_snapshot()
    upstream_id = PROVIDER_IDS.get(provider, provider)
    upstream = data_snapshot.find_provider_by_id(snapshot.providers, upstream_id)
    if upstream is None:
        raise UnknownModel(f"genai-prices has no provider {upstream_id!r}.{did_you_mean(upstream_id, [p.id for p in snapshot.providers])}")
    doc: dict[str, Any] = {"provider": provider, "models": {}}
    for model in models:
        info = next((m for m in upstream.models if m.is_match(model)), None)
        if info is None:
            raise UnknownModel(f"genai-prices has no model {model!r} for {upstream_id}."
                               f"{did_you_mean(model, [m.id for m in upstream.models])}")
        doc["models"][model] = model_entries(info)
    return doc


def dump(doc: dict[str, Any]) -> str:
    """YAML text of a price document (prices stay exact strings)."""
    head = ("# Generated by `costbench prices import` from genai-prices; do not edit: own price files override it.\n"
            "# Every entry is unverified; `undated: true` marks prices that had no start date upstream.\n")
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _merge(old: dict[str, Any], new: dict[str, Any], today: date) -> tuple[dict[str, Any], list[str]]:
    """Keep the old history; when upstream's current price differs, append it as a new entry dated today."""
    merged = {"provider": new["provider"], "models": dict(old.get("models", {}))}
    changes = []
    for model, entries in new["models"].items():
        history = list(merged["models"].get(model, []))
        current = entries[-1]
        if not history:
            history = entries
            changes.append(f"{new['provider']}/{model}: first import")
        elif _rates_of(history[-1]) != _rates_of(current):
            history.append({**current, "effective_from": f"{today.isoformat()}T00:00:00Z",
                            "notes": f"{current.get('notes', '')}; change seen by the daily snapshot of {today}"})
            changes.append(f"{new['provider']}/{model}: price changed on {today}")
        merged["models"][model] = history
    return merged, changes


def _rates_of(entry: dict[str, Any]) -> Any:
    return {k: str(v) for k, v in entry.get("rates", {}).items()}, str(entry.get("tiers")), str(entry.get("windows"))


def snapshot(providers: dict[str, list[str]], folder: Any, today: date) -> list[str]:
    """The daily price snapshot: import every configured model and record changes as new dated entries."""
    from pathlib import Path

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    changes: list[str] = []
    for provider, models in sorted(providers.items()):
        path = out / f"{provider}.yml"
        old = yaml.safe_load(path.read_text()) if path.exists() else {}
        try:
            merged, found = _merge(old or {}, import_provider(provider, models), today)
        except UnknownModel as exc:
            changes.append(f"{provider}: skipped ({exc})")
            continue
        path.write_text(dump(merged))
        changes += found
    return changes
