"""OpenAI organization usage: ``GET /v1/organization/usage/completions`` JSON (a page or a list of pages).

``input_tokens`` INCLUDES ``input_cached_tokens`` (and the newer ``input_cache_write_tokens``); reasoning is
inside ``output_tokens``; times are Unix seconds UTC; tokens only, no cost; ``batch`` results are billed at
the Batch discount (https://cookbook.openai.com/examples/completions_usage_api; ../shared/USAGE-EXPORTS.md §e).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from costbench.bills.anthropic_usage import granularity
from costbench.bills.sources import ReadContext, read_json
from costbench.bills.stage import Staged, bucket_results, raw_json, row

FORMAT = "openai-usage"
FIELDS = {"row_key": "start_time + group", "occurred_at": "start_time", "period_end": "end_time",
          "source_model": "results[].model", "input_tokens": "results[].input_tokens",
          "cache_read": "results[].input_cached_tokens", "cache_write_5m": "results[].input_cache_write_tokens",
          "output_tokens": "results[].output_tokens", "requests": "results[].num_model_requests"}
_GROUPS = ("model", "project_id", "user_id", "api_key_id", "batch", "service_tier", "api_source")


def _iso(seconds: Any) -> str | None:
    if not isinstance(seconds, (int, Decimal)):
        return None if seconds is None else str(seconds)  # not a number: the SQL check names it
    return datetime.fromtimestamp(int(seconds), UTC).isoformat()


def _row(bucket: dict[str, Any], res: dict[str, Any], line: int) -> dict[str, Any]:
    start, end = _iso(bucket.get("start_time")), _iso(bucket.get("end_time"))
    flags = ["batch: priced at standard rates"] if res.get("batch") else []
    if res.get("input_cache_write_tokens"):
        flags.append("cache writes (30 min) priced at the cache-write or input rate")
    return row(line=line, row_key=f"{start}:{end}:" + ":".join(str(res.get(g)) for g in _GROUPS), occurred_at=start,
               period_end=end, granularity=granularity(start, end), requests=res.get("num_model_requests"),
               provider_hint="openai", source_model=res.get("model"), input_tokens=res.get("input_tokens"),
               input_includes_cache=True, cache_read=res.get("input_cached_tokens") or 0,
               cache_write_5m=(res.get("input_cache_write_tokens") or 0) + (res.get("input_cache_write_12h_tokens") or 0),
               output_tokens=res.get("output_tokens"), flags="; ".join(flags) or None,
               raw=raw_json({**res, "start_time": bucket.get("start_time")}, drop=("user_id", "api_key_id")))


def read(path: Path, ctx: ReadContext) -> Staged:
    """Stage every result of every bucket; record number = line."""
    data = read_json(path)
    pages = data if isinstance(data, list) and data and isinstance(data[0], dict) and "data" in data[0] else [data]
    return bucket_results(path, pages, FIELDS, _row, 'an organization usage page ({"object": "page", "data": [...]})')
