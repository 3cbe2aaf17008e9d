"""ccusage ``--json`` output: ``daily``/``weekly``/``monthly``/``sessions``/``projects`` rows or one session's ``entries``.

Rows with ``modelBreakdowns`` give one bill row per model (a multi-model row without them cannot be
priced per model and keeps its first model with a flag). ``inputTokens`` EXCLUDES cache; ``cacheCreationTokens``
merges 5 m and 1 h writes (priced as 5 min, flagged); ``totalCost``/``cost`` is ccusage's own estimate in USD
(ccusage/ccusage ``commands/mod.rs`` + ``output.rs``; ../shared/USAGE-EXPORTS.md §b3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from costbench.bills.sources import BillError, ReadContext, read_json
from costbench.bills.stage import Staged, raw_json, row

FORMAT = "ccusage"
FIELDS = {"row_key": "date/week/month/sessionId", "occurred_at": "date", "source_model": "modelName",
          "input_tokens": "inputTokens", "cache_read": "cacheReadTokens", "cache_write_5m": "cacheCreationTokens",
          "output_tokens": "outputTokens", "reported_cost": "cost"}
_KINDS = {"daily": ("date", "day"), "weekly": ("week", "week"), "monthly": ("month", "month"),
          "sessions": ("firstActivity", "total")}
MERGED = "ccusage merges 5 m and 1 h cache writes (priced as 5 min)"


def _start(value: Any) -> Any:
    return f"{value}-01" if isinstance(value, str) and len(value) == 7 else value  # "2026-03" → first day


def _parts(rec: dict[str, Any]) -> list[dict[str, Any]]:
    parts = rec.get("modelBreakdowns")
    if isinstance(parts, list) and parts:
        return [{"model": p.get("modelName"), "cost": p.get("cost"), **p} for p in parts]
    models = rec.get("modelsUsed") or [rec.get("model")]
    return [{"model": models[0], "cost": rec.get("totalCost", rec.get("costUSD")), **rec,
             "multi": len(models) > 1}]


def _row(rec: dict[str, Any], part: dict[str, Any], kind: tuple[str, str], line: int, scope: str) -> dict[str, Any]:
    key_field, granularity = kind
    model = part["model"]
    flags = [MERGED] if part.get("cacheCreationTokens") else []
    if part.get("multi"):
        flags.append("several models in one row without modelBreakdowns (priced as the first)")
    return row(line=line, row_key=f"{scope}:{rec.get(key_field)}:{rec.get('sessionId', '')}:{model}",
               occurred_at=_start(rec.get(key_field)), period_end=rec.get("lastActivity"), granularity=granularity,
               provider_hint="anthropic" if str(model).startswith("claude") else None, source_model=model,
               input_tokens=part.get("inputTokens"), cache_read=part.get("cacheReadTokens") or 0,
               cache_write_5m=part.get("cacheCreationTokens") or 0, output_tokens=part.get("outputTokens"),
               reported_cost=part.get("cost"), currency="USD", flags="; ".join(flags) or None,
               raw=raw_json(rec, drop=("projectPath",)))


def _groups(data: dict[str, Any]) -> list[tuple[str, tuple[str, str], list[Any]]]:
    if isinstance(data.get("projects"), dict):
        return [(name, _KINDS["daily"], rows) for name, rows in data["projects"].items()]
    if isinstance(data.get("entries"), list):
        return [(str(data.get("sessionId")), ("timestamp", "request"), data["entries"])]
    return [(kind, _KINDS[kind], data[kind]) for kind in _KINDS if isinstance(data.get(kind), list)]


def read(path: Path, ctx: ReadContext) -> Staged:
    """Stage every row (× model) of a ccusage JSON report; record number = line."""
    data = read_json(path)
    groups = _groups(data) if isinstance(data, dict) else []
    if not groups:
        raise BillError(f"{path}: not a ccusage --json report (no daily/weekly/monthly/sessions/projects/entries)")
    staged, line = Staged(FIELDS), 0
    for scope, kind, records in groups:
        for rec in records:
            line += 1
            for part in _parts(rec if isinstance(rec, dict) else {}):
                staged.rows.append(_row(rec, part, kind, line, scope))
    return staged
