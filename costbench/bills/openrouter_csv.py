"""OpenRouter activity CSV (one row per generation), read in bulk by DuckDB (``sql/bills/stage_openrouter_csv.sql``).

Columns are matched by header name (older exports lack ``cost_file_processing``). Source and field meanings:
https://openrouter.ai/docs/guides/guides/activity-export and ../shared/USAGE-EXPORTS.md §a1.
"""

from __future__ import annotations

from pathlib import Path

from costbench.bills.sources import ReadContext, csv_header
from costbench.bills.stage import Staged
from costbench.secrets import _KEY_SHAPES as KEY_SHAPES
from costbench.store.db import sql_text

FORMAT = "openrouter-csv"
REQUIRED = ["generation_id", "created_at", "cost_total", "byok_usage_inference", "tokens_prompt", "tokens_completion",
            "tokens_reasoning", "tokens_cached", "model_permaslug", "cancelled"]
FIELDS = {"row_key": "generation_id", "occurred_at": "created_at", "source_model": "model_permaslug",
          "input_tokens": "tokens_prompt", "cache_read": "tokens_cached", "output_tokens": "tokens_completion",
          "reasoning_tokens": "tokens_reasoning", "reported_cost": "cost_total"}


def read(path: Path, ctx: ReadContext) -> Staged:
    """Stage the file in SQL (a million rows in seconds); no Python loop per row."""
    header = csv_header(path, REQUIRED, FORMAT)
    ctx.con.execute(sql_text("bills/stage_openrouter_csv"), {"path": str(path), "key_shapes": KEY_SHAPES.pattern})
    return Staged(FIELDS, in_table=True, columns=header)
