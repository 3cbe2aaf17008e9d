"""Budget caps that bind, checked against the emulator's ledger (the provider's invoice).

The pre-flight estimate counts a prompt as UTF-8 bytes / 4 tokens. The ``number_lists`` task below is
made of one-digit items ("0, 1, 2, …"): each 3 bytes are 2 tokens for the emulator's tokenizer, times
Mistral's 1.3 ratio, so a call really costs about 3× its estimate. A cap between the estimate and the
real spend therefore passes the pre-flight check and must be enforced call by call, during the run.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml

from costbench.config import Config, load_config
from tests.runner_support import write_config

D = Decimal
# mistral-large-2411: $2 / Mtok input, $6 / Mtok output (PROVIDER-BILLING.md §6, seed check); cache hits at
# 10 % of input (§6, Mistral's prompt-caching page): $0.20.
MISTRAL_IN, MISTRAL_READ, MISTRAL_OUT = D("2"), D("0.2"), D("6")
# deepseek-chat from 2025-09-29 (V3.2-Exp): 2 CNY/Mtok miss, 0.2 hit, 3 output (PROVIDER-BILLING.md §5, row
# 2025-09-29, "CNY 0.2 / 2 / 3"), × 0.1395 USD per CNY (H.10 July 2025 average ≈ 7.17 CNY/USD, in force from
# 2025-08-01 to 2025-10-31: a monthly average applies from the first day of the next month, no look-ahead).
DS_MISS, DS_HIT, DS_OUT, CNY_USD_2025_10 = D("2"), D("0.2"), D("3"), D("0.1395")
CASES = 12


def number_lists_catalog(root: Path) -> Path:
    """A one-task catalog: 12 cases of a 700-item digit list, 8 output tokens at most."""
    root.mkdir(parents=True, exist_ok=True)
    items = ", ".join(str(i % 10) for i in range(700))
    task = {"id": "number_lists", "version": 1, "category": "math", "description": "Count a list of digits.",
            "messages": [{"role": "user", "content": "List {n}: " + items + ". How many items?"}],
            "cases": [{"id": f"c{n}", "inputs": {"n": n}, "target": "700"} for n in range(CASES)],
            "grader": {"name": "exact"}, "max_output_tokens": 8}
    (root / "number_lists.yaml").write_text(yaml.safe_dump(task))
    return root


def capped_config(tmp_path: Path, emulator_url: str, cap: str, *, processes: int = 1, timeout_s: int = 10) -> Config:
    """mistral-large-2411 on ``number_lists`` with a per-run cap of ``cap`` USD."""
    catalog = number_lists_catalog(tmp_path / "catalog")
    cfg = write_config(tmp_path, emulator_url, models=("mistral/mistral-large-2411",), tasks=["number_lists"],
                       per_run_usd=cap, processes=processes)
    # cases_per_task = 0: every one of the 12 cases (write_config's 3-case window would keep the run under the cap).
    swap = {"catalog = ": f'catalog = "{catalog}"', "timeout_s = ": f"timeout_s = {timeout_s}",
            "cases_per_task = ": "cases_per_task = 0"}
    lines = [next((v for k, v in swap.items() if line.startswith(k)), line) for line in cfg.source.read_text().splitlines()]
    cfg.source.write_text("\n".join(lines) + "\n")
    return load_config(cfg.source)


def _line_usd(model: str, usage: dict) -> Decimal:
    if model == "deepseek-chat":  # prompt_cache_hit + prompt_cache_miss = prompt_tokens (§5)
        cny = (usage["prompt_cache_miss_tokens"] * DS_MISS + usage["prompt_cache_hit_tokens"] * DS_HIT
               + usage["completion_tokens"] * DS_OUT)
        return cny / 10**6 * CNY_USD_2025_10
    assert model == "mistral-large-2411", model  # prompt_tokens INCLUDE prompt_tokens_details.cached_tokens (§6)
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
    uncached = usage["prompt_tokens"] - cached
    return (uncached * MISTRAL_IN + cached * MISTRAL_READ + usage["completion_tokens"] * MISTRAL_OUT) / 10**6


def invoice_usd(entries: list) -> Decimal:
    """What the emulated provider billed (in October 2025): its raw usage rows × list prices."""
    return sum((_line_usd(e.model, e.usage) for e in entries if e.billed), D(0))
