"""Claude Code Router v3 ``usage.sqlite`` (table ``usage_events``), read with the standard library's sqlite3.

``input_tokens`` is already cache-EXCLUSIVE (CCR normalises before storing); 5 m and 1 h writes are merged in
``cache_write_tokens``; ``cost_usd`` is the gateway's billing figure when ``cost_source = 'gateway_billing'``,
else CCR's own estimate (musistudio/claude-code-router ``packages/core/src/usage/store.ts``, ``normalization.ts``;
../shared/USAGE-EXPORTS.md §i4).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from costbench.bills.sources import BillError, ReadContext
from costbench.bills.stage import Staged, raw_json, row

FORMAT = "ccr-usage"
FIELDS = {"row_key": "id + request_id", "occurred_at": "created_at", "source_model": "model",
          "input_tokens": "input_tokens", "cache_read": "cache_read_tokens", "cache_write_5m": "cache_write_tokens",
          "output_tokens": "output_tokens", "reported_cost": "cost_usd"}


def _events(path: Path) -> list[dict[str, Any]]:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BillError(f"{path}: cannot open as SQLite ({exc})") from None
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM usage_events ORDER BY id")]
    except sqlite3.Error as exc:
        raise BillError(f"{path}: not a Claude Code Router v3 usage.sqlite ({exc}); expected table usage_events") from None
    finally:
        con.close()


def stage_event(ev: dict[str, Any]) -> dict[str, Any]:
    """One usage event as a staged row (line = the event id)."""
    flags = []
    if ev.get("cache_write_tokens"):
        flags.append("CCR merges 5 m and 1 h cache writes (priced as 5 min)")
    if ev.get("cost_source") != "gateway_billing":
        flags.append(f"reported cost is CCR's own estimate ({ev.get('cost_source')})")
    if ev.get("status_code") not in (None, 200):
        flags.append(f"HTTP {ev.get('status_code')}")
    return row(line=ev.get("id"), row_key=f"{ev.get('id')}:{ev.get('request_id')}", occurred_at=ev.get("created_at"),
               granularity="request", requests=1, provider_hint=ev.get("provider"), source_model=ev.get("model"),
               input_tokens=ev.get("input_tokens"), cache_read=ev.get("cache_read_tokens") or 0,
               cache_write_5m=ev.get("cache_write_tokens") or 0, output_tokens=ev.get("output_tokens"),
               total_tokens=ev.get("total_tokens"), reported_cost=ev.get("cost_usd"), currency="USD",
               flags="; ".join(flags) or None, raw=raw_json(ev, drop=("credential_id",)))


def read(path: Path, ctx: ReadContext) -> Staged:
    """Stage every usage event."""
    return Staged(FIELDS, [stage_event(ev) for ev in _events(path)])
