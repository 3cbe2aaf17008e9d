"""OpenRouter ``GET /api/v1/generation?id=…`` JSON: one object ``{"data": {...}}``, a list of them, or ``{"data": [...]}``.

``native_tokens_*`` are the model's own tokenizer counts (used for re-pricing, OpenRouter's normalised
``tokens_*`` only as a fallback); ``native_tokens_prompt`` INCLUDES ``native_tokens_cached`` (cache reads);
``total_cost`` is the charge in USD credits; a negative ``cache_discount`` means cache writes were billed
(https://openrouter.ai/docs/api/api-reference/generations/get-generation,
https://openrouter.ai/docs/features/prompt-caching).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from costbench.bills.sources import BillError, ReadContext, read_json
from costbench.bills.stage import Staged, raw_json, row

FORMAT = "openrouter-generation"
FIELDS = {"row_key": "data.id", "occurred_at": "data.created_at", "source_model": "data.model",
          "input_tokens": "data.native_tokens_prompt", "cache_read": "data.native_tokens_cached",
          "output_tokens": "data.native_tokens_completion", "reasoning_tokens": "data.native_tokens_reasoning",
          "reported_cost": "data.total_cost"}


def records(data: Any, path: Path) -> list[dict[str, Any]]:
    """The generation objects of a file, whatever the wrapping."""
    items = data if isinstance(data, list) else [data]
    out: list[dict[str, Any]] = []
    for item in items:
        inner = item.get("data", item) if isinstance(item, dict) else None
        out += inner if isinstance(inner, list) else [inner]
    if not all(isinstance(r, dict) for r in out):
        raise BillError(f"{path}: expected /generation objects ({{\"data\": {{...}}}}); use --format to pick another")
    return out


def _flags(rec: dict[str, Any]) -> str | None:
    flags = []
    discount = rec.get("cache_discount")
    if discount is not None and discount < 0:
        flags.append("cache writes billed but not counted by /generation (priced as uncached input)")
    if rec.get("is_byok"):
        flags.append("BYOK: reported cost is the OpenRouter fee, not the inference")
    return "; ".join(flags) or None


def stage_record(rec: dict[str, Any], line: int) -> dict[str, Any]:
    """One generation as a staged row."""
    native = rec.get("native_tokens_prompt") is not None
    pre = "native_tokens_" if native else "tokens_"
    return row(line=line, row_key=rec.get("id"), occurred_at=rec.get("created_at"), granularity="request",
               requests=1, provider_hint="openrouter", source_model=rec.get("model"),
               input_tokens=rec.get(f"{pre}prompt"), input_includes_cache=True,
               cache_read=rec.get("native_tokens_cached") or 0, output_tokens=rec.get(f"{pre}completion"),
               reasoning_tokens=rec.get("native_tokens_reasoning"), reported_cost=rec.get("total_cost"),
               currency="USD", flags=_flags(rec), raw=raw_json(rec))


def read(path: Path, ctx: ReadContext) -> Staged:
    """Stage every generation of the file (record number = line)."""
    recs = records(read_json(path), path)
    return Staged(FIELDS, [stage_record(r, i) for i, r in enumerate(recs, start=1)])
