"""LiteLLM proxy ``LiteLLM_SpendLogs`` export, as CSV or JSON (a list of rows, or ``{"data": [...]}``).

``prompt_tokens`` follows the OpenAI convention (INCLUDES cache reads; current releases also add Anthropic
cache writes, older ones only reads: both are detected); cache and reasoning counts live in
``metadata.usage_object``; ``spend`` is LiteLLM's own cost estimate in USD; ``cache_hit`` is LiteLLM's response
cache, not prompt caching (BerriAI/litellm ``schema.prisma``, ``spend_tracking_utils.py``; ../shared/USAGE-EXPORTS.md §c).
Prompts and responses (``messages``, ``response``, ``proxy_server_request``) are never kept.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from costbench.bills.sources import BillError, ReadContext, csv_header, csv_rows, dig, read_json
from costbench.bills.stage import Staged, raw_json, row

FORMAT = "litellm-spendlogs"
FIELDS = {"row_key": "request_id", "occurred_at": "startTime", "source_model": "model",
          "input_tokens": "prompt_tokens", "cache_read": "metadata.usage_object.cache_read_input_tokens",
          "cache_write_5m": "metadata.usage_object.cache_creation_input_tokens",
          "output_tokens": "completion_tokens", "reported_cost": "spend"}
DROP = ("messages", "response", "proxy_server_request")
REQUIRED = ["request_id", "startTime", "model", "spend", "prompt_tokens", "completion_tokens"]


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _metadata(value: Any) -> dict[str, Any]:
    if isinstance(value, str) and value.strip():
        try:
            value = json.loads(value, parse_float=Decimal)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def _buckets(rec: dict[str, Any]) -> tuple[Any, bool, int, int, Any]:
    usage = dig(_metadata(rec.get("metadata")), "usage_object") or {}
    read = _int(usage.get("cache_read_input_tokens") or dig(usage, "prompt_tokens_details", "cached_tokens"))
    write = _int(usage.get("cache_creation_input_tokens"))
    prompt = rec.get("prompt_tokens")
    if _int(prompt) < read + write and _int(prompt) >= read:  # older releases: prompt_tokens = uncached + reads only
        return _int(prompt) - read, False, read, write, dig(usage, "completion_tokens_details", "reasoning_tokens")
    return prompt, True, read, write, dig(usage, "completion_tokens_details", "reasoning_tokens")


def stage_record(rec: dict[str, Any], line: int) -> dict[str, Any]:
    """One spend-log row as a staged row."""
    prompt, includes, read, write, reasoning = _buckets(rec)
    flags = ["cache write TTL not reported (priced as 5 min)"] if write else []
    if str(rec.get("cache_hit")).lower() == "true":
        flags.append("LiteLLM response-cache hit (no provider call)")
    flags.append("reported cost is LiteLLM's own estimate")
    return row(line=line, row_key=rec.get("request_id"), occurred_at=rec.get("startTime"), granularity="request",
               requests=1, provider_hint=rec.get("custom_llm_provider"), source_model=rec.get("model"),
               input_tokens=prompt, input_includes_cache=includes, cache_read=read, cache_write_5m=write,
               output_tokens=rec.get("completion_tokens"), reasoning_tokens=reasoning, reported_cost=rec.get("spend"),
               currency="USD", flags="; ".join(flags), raw=raw_json(rec, drop=DROP))


def _records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        csv_header(path, REQUIRED, FORMAT)
        return csv_rows(path)
    data = read_json(path)
    items = data.get("data") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise BillError(f"{path}: expected a list of LiteLLM spend-log rows (or {{\"data\": [...]}})")
    return [(i, r if isinstance(r, dict) else {}) for i, r in enumerate(items, start=1)]


def read(path: Path, ctx: ReadContext) -> Staged:
    """Stage every spend-log row (CSV line, or JSON record number)."""
    return Staged(FIELDS, [stage_record(rec, line) for line, rec in _records(path)])
