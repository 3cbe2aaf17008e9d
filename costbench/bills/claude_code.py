"""Claude Code session logs: ``~/.claude/projects/**/*.jsonl`` (a file or a directory tree).

Only assistant lines with ``message.usage`` are usage. ``input_tokens`` EXCLUDES cache reads and writes;
``cache_creation.ephemeral_5m/1h_input_tokens`` split the writes (else ``cache_creation_input_tokens``, TTL
unknown); thinking is billed as output. Lines are de-duplicated on ``message.id`` + ``requestId`` (sidechain
replays repeat them), as ccusage does (ccusage/ccusage ``rust/crates/ccusage/src/adapter/claude``, see
../shared/USAGE-EXPORTS.md §b1). Message text (``message.content``) is never kept.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from costbench.bills.sources import BillError, Locator, ReadContext, dig
from costbench.bills.stage import Staged, raw_json, row

FORMAT = "claude-code"
PLACEHOLDERS = "Claude Code logs may under-count input/output tokens (streaming placeholders, ccusage/ccusage#866)"
FIELDS = {"row_key": "message.id + requestId", "occurred_at": "timestamp", "source_model": "message.model",
          "input_tokens": "message.usage.input_tokens", "cache_read": "message.usage.cache_read_input_tokens",
          "cache_write_5m": "message.usage.cache_creation.ephemeral_5m_input_tokens",
          "cache_write_1h": "message.usage.cache_creation.ephemeral_1h_input_tokens",
          "output_tokens": "message.usage.output_tokens", "reported_cost": "costUSD"}


def files(path: Path) -> list[Path]:
    """The JSONL files of a path (a file, or every ``*.jsonl`` below a directory, sorted)."""
    return sorted(path.rglob("*.jsonl"), key=lambda p: (len(p.parts), p)) if path.is_dir() else [path]


def _writes(usage: dict[str, Any]) -> tuple[Any, Any, str | None]:
    split = usage.get("cache_creation")
    if isinstance(split, dict):
        return split.get("ephemeral_5m_input_tokens") or 0, split.get("ephemeral_1h_input_tokens") or 0, None
    total = usage.get("cache_creation_input_tokens") or 0
    return total, 0, "cache write TTL not reported (priced as 5 min)" if total else None


def stage_line(rec: dict[str, Any], line: int) -> dict[str, Any] | None:
    """One assistant line as a staged row (None: not a usage line)."""
    usage = dig(rec, "message", "usage")
    model = dig(rec, "message", "model")
    if not isinstance(usage, dict) or model == "<synthetic>" or rec.get("isApiErrorMessage"):
        return None
    w5, w1, flag = _writes(usage)
    fast = "fast mode (speed multiplier not in the price book)" if usage.get("speed") == "fast" else None
    flags = [f for f in (flag, fast, PLACEHOLDERS) if f]
    message = {k: v for k, v in rec["message"].items() if k != "content"}
    cost = rec.get("costUSD")
    return row(line=line, row_key=f"{dig(rec, 'message', 'id')}:{rec.get('requestId')}", occurred_at=rec.get("timestamp"),
               granularity="request", requests=1, provider_hint="anthropic", source_model=model,
               input_tokens=usage.get("input_tokens"), cache_read=usage.get("cache_read_input_tokens") or 0,
               cache_write_5m=w5, cache_write_1h=w1, output_tokens=usage.get("output_tokens"),
               reported_cost=cost if isinstance(cost, (int, Decimal)) else None, currency="USD",
               flags="; ".join(flags) or None, raw=raw_json({**rec, "message": message}))


def _parse(text: str, where: str, ctx: ReadContext) -> dict[str, Any] | None:
    try:
        rec = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        message = f"{where}: not valid JSON ({exc.msg}); fix the line or pass --skip-bad"
        if not ctx.skip_bad:
            raise BillError(message) from None
        ctx.skipped.append(message)
        return None
    return rec if isinstance(rec, dict) else None


def read(path: Path, ctx: ReadContext, locator: Locator | None = None) -> Staged:
    """Stage the usage lines of every JSONL file of ``path``; staged line numbers run on across files."""
    staged, offset = Staged(FIELDS), 0
    for file in files(path):
        if locator is not None:
            locator.add(offset, file)
        count = 0
        with file.open(encoding="utf-8") as handle:
            for count, text in enumerate(handle, start=1):
                rec = _parse(text, f"{file}:{count}", ctx) if text.strip() else None
                staged_row = stage_line(rec, offset + count) if rec else None
                if staged_row:
                    staged.rows.append(staged_row)
        offset += count
    return staged
