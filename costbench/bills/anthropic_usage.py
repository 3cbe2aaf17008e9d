"""Anthropic Admin API usage report: ``GET /v1/organizations/usage_report/messages`` JSON (a page or a list of pages).

Buckets are disjoint: ``uncached_input_tokens`` EXCLUDES cache; ``cache_creation.ephemeral_5m/1h_input_tokens``
and ``cache_read_input_tokens`` are separate; thinking is inside ``output_tokens``. Tokens only, no cost. A
``context_window`` of ``200k-1M`` means the long-context tier (grouped by context_window)
(https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages; ../shared/USAGE-EXPORTS.md §d1).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from costbench.bills.sources import ReadContext, dig, read_json
from costbench.bills.stage import Staged, bucket_results, raw_json, row

FORMAT = "anthropic-usage"
FIELDS = {"row_key": "starting_at + group", "occurred_at": "starting_at", "period_end": "ending_at",
          "source_model": "results[].model", "input_tokens": "results[].uncached_input_tokens",
          "cache_read": "results[].cache_read_input_tokens",
          "cache_write_5m": "results[].cache_creation.ephemeral_5m_input_tokens",
          "cache_write_1h": "results[].cache_creation.ephemeral_1h_input_tokens",
          "output_tokens": "results[].output_tokens"}
_GROUPS = ("model", "workspace_id", "api_key_id", "service_tier", "context_window", "inference_geo", "speed",
           "account_id", "service_account_id")


def granularity(start: Any, end: Any) -> str:
    """``hour`` for 1 m / 1 h buckets, ``day`` for 1 d (bucket widths of the usage APIs)."""
    try:
        seconds = (datetime.fromisoformat(str(end)) - datetime.fromisoformat(str(start))).total_seconds()
    except ValueError:
        return "day"
    return "hour" if seconds <= 3600 else "day"


def _row(bucket: dict[str, Any], res: dict[str, Any], line: int) -> dict[str, Any]:
    start, end = bucket.get("starting_at"), bucket.get("ending_at")
    key = ":".join(str(res.get(g)) for g in _GROUPS)
    window = str(res.get("context_window") or "")
    flags = [] if res.get("model") else ["not grouped by model: pass group_by[]=model"]
    return row(line=line, row_key=f"{start}:{end}:{key}", occurred_at=start, period_end=end,
               granularity=granularity(start, end), provider_hint="anthropic", source_model=res.get("model"),
               input_tokens=res.get("uncached_input_tokens"), cache_read=res.get("cache_read_input_tokens") or 0,
               cache_write_5m=dig(res, "cache_creation", "ephemeral_5m_input_tokens") or 0,
               cache_write_1h=dig(res, "cache_creation", "ephemeral_1h_input_tokens") or 0,
               output_tokens=res.get("output_tokens"), tier_hint="above" if window.startswith("200k") else None,
               flags="; ".join(flags) or None, raw=raw_json({**res, "starting_at": start, "ending_at": end},
                                                            drop=("api_key_id", "account_id", "service_account_id")))


def read(path: Path, ctx: ReadContext) -> Staged:
    """Stage every result of every bucket of every page; record number = line."""
    data = read_json(path)
    pages = data if isinstance(data, list) and data and "results" not in data[0] else [data]
    return bucket_results(path, pages, FIELDS, _row, 'a usage_report page ({"data": [buckets]}) or a list of them')
