"""Money from outside the code under test: runner → journal → DuckDB → pricing → report, in USD.

One night (2025-06-10 20:00 UTC) runs DeepSeek (CNY, off-peak window, cache hits and misses) and Claude
Sonnet 4 (5-minute and 1-hour cache writes, cache reads, and one request above the 200K long-context tier)
against the emulator. Token counts come from the emulator's ledger: the raw usage it billed, in each
provider's own dialect (the emulator is an independent provider). Prices are typed here by hand from
docs/PROVIDER-BILLING.md (a copy of the shared reference) (cited per constant), never read from ``costbench/prices``; the FX rate
from the Federal Reserve's H.10 series. Each test writes its figures with their arithmetic; every call's
``costs.total_usd``, the run's total and the report's data files must match them to the last digit
(DuckDB keeps DECIMAL(38, 12), which holds these products exactly).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from costbench.config import load_config
from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.pipeline import NightResult, run_night
from costbench.report import site as report
from costbench.store.db import opened, rows
from tests.conftest import ROOT
from tests.runner_support import write_config

D = Decimal
MTOK = D(1_000_000)
AT = datetime(2025, 6, 10, 20, 0, tzinfo=UTC)  # 20:00 UTC = 04:00 Beijing: DeepSeek's off-peak window

# DeepSeek deepseek-chat (V3) off-peak, 16:30-00:30 UTC, from 2025-02-26 until 2025-09-05: 0.25 CNY/Mtok cache
# hit, 1 CNY/Mtok miss, 4 CNY/Mtok output (PROVIDER-BILLING.md §5, rows 2025-02-26/27 and 2025-09-05).
DS_HIT, DS_MISS, DS_OUT = D("0.25"), D("1"), D("4")
# 1 CNY = 0.1370 USD: H.10 January 2025 average ≈ 7.30 CNY/USD, the rate in force from 2025-02-01 to 2025-07-31
# (a monthly average applies from the first day of the next month: no look-ahead).
CNY_USD = D("0.1370")
# Claude Sonnet 4, USD/Mtok: input 3, 5 min write 3.75 (1.25×), 1 h write 6 (2×), read 0.30 (0.1×), output 15;
# when uncached + read + written input > 200K, every token at 6 / 7.50 / 12 / 0.60 / 22.50 (PROVIDER-BILLING.md §3).
SONNET = {"in": D("3"), "w5m": D("3.75"), "w1h": D("6"), "read": D("0.30"), "out": D("15")}
SONNET_LONG = {"in": D("6"), "w5m": D("7.50"), "w1h": D("12"), "read": D("0.60"), "out": D("22.50")}


@dataclass
class Night:
    """The night's config, result and the emulator's invoice lines (call_id → raw usage)."""

    cfg: Any
    result: NightResult
    billed: dict[str, dict[str, Any]]
    cases: dict[str, tuple[str, str]]
    """call_id → (task id, case id), from the landed calls."""
    providers: dict[str, str]
    """call_id → provider."""

    def usage_by_case(self, provider: str, fields: tuple[str, ...]) -> dict[tuple[str, str], tuple[int, ...]]:
        """(task, case) → the ledger's raw counters ``fields`` (dotted paths) for one provider's calls."""
        out = {}
        for cid, raw in self.billed.items():
            if self.providers[cid] == provider:
                out[self.cases[cid]] = tuple(_dig(raw, f) for f in fields)
        return out


def _dig(raw: dict[str, Any], path: str) -> int:
    for part in path.split("."):
        raw = raw[part]
    return int(raw)  # type: ignore[arg-type]


def _catalog(root: Path) -> Path:
    """contract_qa (5 min breakpoints), policy_manual_qa asking for 1 h, and a 160K-word document task."""
    root.mkdir()
    # Only the first four cases of each document task (the ones whose tokens are typed below); the night runs
    # every case of this catalog (cases_per_task = 0), not a day's window of the full one.
    contract = yaml.safe_load((ROOT / "tasks_catalog" / "contract_qa.yaml").read_text())
    (root / "contract_qa.yaml").write_text(yaml.safe_dump({**contract, "cases": contract["cases"][:4]}))
    policy = yaml.safe_load((ROOT / "tasks_catalog" / "policy_manual_qa.yaml").read_text())
    (root / "policy_manual_qa.yaml").write_text(yaml.safe_dump({**policy, "cases": policy["cases"][:4],
                                                                "cache_ttl": "1h"}))
    huge = {"id": "huge_document", "version": 1, "category": "long_context", "description": "A 160K-word prompt.",
            "messages": [{"role": "user", "content": "Repeat the last word. " + "lane " * 160_000}],
            "cases": [{"id": "only", "inputs": {}, "target": "lane"}], "grader": {"name": "exact"},
            "max_output_tokens": 8}
    (root / "huge_document.yaml").write_text(yaml.safe_dump(huge))
    return root


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Night:
    tmp = tmp_path_factory.mktemp("money")
    catalog = _catalog(tmp / "catalog")
    with EmulatorServer(EmulatorConfig(seed=11, catalog_dir=catalog)) as emu:
        cfg = write_config(tmp, emu.url, models=("deepseek/deepseek-chat", "anthropic/claude-sonnet-4"),
                           tasks=["contract_qa", "policy_manual_qa", "huge_document"], concurrency=1,
                           per_run_usd="50.00")
        text = (cfg.source.read_text().replace(f'catalog = "{ROOT / "tasks_catalog"}"', f'catalog = "{catalog}"')
                .replace("cases_per_task = 3", "cases_per_task = 0"))
        assert "cases_per_task = 0" in text
        cfg.source.write_text(text)
        cfg = load_config(cfg.source)
        result = run_night(cfg, run_at=AT, run_id="money", quiet=True)
        billed = {e.call_id: e.usage for e in emu.ledger.entries() if e.billed}
    report.build(cfg.paths.db, cfg.paths.site)
    with opened(cfg.paths.db) as con:
        found = rows(con, "SELECT call_id, provider, task_id, case_id FROM calls")
    return Night(cfg, result, billed, {r["call_id"]: (r["task_id"], r["case_id"]) for r in found},
                 {r["call_id"]: r["provider"] for r in found})


def _stored(night: Night, provider: str) -> dict[tuple[str, str], tuple[Decimal, Decimal, str | None, str | None]]:
    """(task, case) → (total_usd, fx rate, tier, time window) of the priced calls in DuckDB."""
    with opened(night.cfg.paths.db) as con:
        found = rows(con, "SELECT c.task_id, c.case_id, k.total_usd, k.fx_rate_to_usd, k.tier, k.time_window "
                          "FROM costs k JOIN calls c USING (call_id) WHERE c.provider = ?", [provider])
    return {(r["task_id"], r["case_id"]): (r["total_usd"], r["fx_rate_to_usd"], r["tier"], r["time_window"])
            for r in found}


def _report_spend(night: Night, provider: str, model: str) -> Decimal:
    """What the rendered report says was spent on the model (data/task_stats.json, over its tasks)."""
    table = json.loads((night.cfg.paths.site / "data" / "task_stats.json").read_text())
    return sum((D(r["spend_usd"]) for r in table if (r["provider"], r["model"]) == (provider, model)), D(0))


def _report_breakdown(night: Night, provider: str, model: str) -> dict[str, Decimal]:
    """The report's USD per usage field for one model (data/model-<slug>-breakdown.json)."""
    name = report.slug(f"{provider}/{model}")
    table = json.loads((night.cfg.paths.site / "data" / f"model-{name}-breakdown.json").read_text())
    return {r["field"]: D(r["cost_usd"]) for r in table}


def test_the_night_ran_every_call_once(night) -> None:
    assert night.result.run.failed_calls == 0 and night.result.quality.passed, night.result
    assert len(night.billed) == night.result.run.sent_calls == 2 * (4 + 4 + 1)
    assert set(night.billed) == set(night.cases)  # one invoice line per landed call, none twice
    # The runner's running total (what the budget counted) is the two models' totals below:
    # 0.027357119 (DeepSeek) + 1.39200555 (Claude) = 1.419362669 USD.
    assert night.result.run.spent_usd == D("1.419362669")


# DeepSeek's own counters: prompt_cache_miss_tokens + prompt_cache_hit_tokens = prompt_tokens; completion_tokens
# is the billed output (PROVIDER-BILLING.md §5). Each 3,000-word document is one shared prefix: the first case
# misses it, the next three hit 6,656 tokens of it (104 units of 64).
DS_FIELDS = ("prompt_cache_miss_tokens", "prompt_cache_hit_tokens", "completion_tokens")
DS_CALLS = {  # (task, case): (miss, hit, output) tokens → USD
    # 6,686 × 1 + 13 × 4 = 6,738 µCNY × 0.1370 = 923.106 µUSD
    ("contract_qa", "credit"): ((6686, 0, 13), D("0.000923106")),
    # 34 × 1 + 6,656 × 0.25 + 1 × 4 = 34 + 1,664 + 4 = 1,702 µCNY × 0.1370 = 233.174 µUSD
    ("contract_qa", "refund"): ((34, 6656, 1), D("0.000233174")),
    # 21 + 1,664 + 1 × 4 = 1,689 µCNY × 0.1370 = 231.393 µUSD (twice)
    ("contract_qa", "deletion"): ((21, 6656, 1), D("0.000231393")),
    ("contract_qa", "audit"): ((21, 6656, 1), D("0.000231393")),
    # 6,703 + 4 = 6,707 µCNY × 0.1370 = 918.859 µUSD
    ("policy_manual_qa", "rail"): ((6703, 0, 1), D("0.000918859")),
    # 29 + 1,664 + 4 = 1,697 µCNY → 232.489 µUSD; 33 + 1,664 + 4 = 1,701 µCNY → 233.037 µUSD;
    # 33 + 1,664 + 13 × 4 = 1,749 µCNY × 0.1370 = 239.613 µUSD
    ("policy_manual_qa", "backup"): ((29, 6656, 1), D("0.000232489")),
    ("policy_manual_qa", "oncall"): ((33, 6656, 1), D("0.000233037")),
    ("policy_manual_qa", "gifts"): ((33, 6656, 13), D("0.000239613")),
    # 176,011 + 4 = 176,015 µCNY × 0.1370 = 24,114.055 µUSD (DeepSeek has no long-context tier)
    ("huge_document", "only"): ((176011, 0, 1), D("0.024114055")),
}
# Total: 6,738 + 1,702 + 2 × 1,689 + 6,707 + 1,697 + 1,701 + 1,749 + 176,015 = 199,687 µCNY
# = 0.199687 CNY × 0.1370 = 0.027357119 USD.
DS_TOTAL = D("0.027357119")


def test_deepseek_off_peak_cache_hits_and_misses_in_cny(night) -> None:
    assert night.usage_by_case("deepseek", DS_FIELDS) == {k: tokens for k, (tokens, _) in DS_CALLS.items()}
    for (miss, hit, out), usd in DS_CALLS.values():  # the typed figures follow from the typed prices
        assert (miss * DS_MISS + hit * DS_HIT + out * DS_OUT) / MTOK * CNY_USD == usd
    stored = _stored(night, "deepseek")
    assert {k: v[0] for k, v in stored.items()} == {k: usd for k, (_, usd) in DS_CALLS.items()}
    assert {v[1:] for v in stored.values()} == {(CNY_USD, None, "off-peak")}  # FX applied, window chosen
    assert sum((usd for _, usd in DS_CALLS.values()), D(0)) == DS_TOTAL
    assert _report_spend(night, "deepseek", "deepseek-chat") == DS_TOTAL
    # Per field: 189,571 miss tokens × 1 = 189,571 µCNY → 25,971.227 µUSD; 39,936 hits × 0.25 = 9,984 µCNY
    # → 1,367.808 µUSD; 33 output × 4 = 132 µCNY → 18.084 µUSD.
    assert _report_breakdown(night, "deepseek", "deepseek-chat") == {
        "input_uncached": D("0.025971227"), "cache_read": D("0.001367808"), "output": D("0.000018084"),
        "cache_write_5m": D(0), "cache_write_1h": D(0), "request_fee": D(0)}


# Anthropic's counters: input_tokens EXCLUDES cache reads and writes; cache_creation splits the writes by TTL
# (PROVIDER-BILLING.md §3). contract_qa asks for 5 min breakpoints, policy_manual_qa for 1 h on its document
# (the newest message always gets 5 min).
ANT_FIELDS = ("input_tokens", "cache_creation.ephemeral_5m_input_tokens", "cache_creation.ephemeral_1h_input_tokens",
              "cache_read_input_tokens", "output_tokens")
ANT_CALLS = {  # (task, case): (input, 5 min write, 1 h write, read, output) tokens → USD
    # 8,203 × 3.75 + 16 × 15 = 30,761.25 + 240 = 31,001.25 µUSD
    ("contract_qa", "credit"): ((0, 8203, 0, 0, 16), D("0.03100125")),
    # 40 × 3.75 + 8,167 × 0.30 + 15 = 150 + 2,450.1 + 15 = 2,615.1 µUSD
    ("contract_qa", "refund"): ((0, 40, 0, 8167, 1), D("0.0026151")),
    # 24 × 3.75 + 2,450.1 + 15 = 90 + 2,450.1 + 15 = 2,555.1 µUSD (twice)
    ("contract_qa", "deletion"): ((0, 24, 0, 8167, 1), D("0.0025551")),
    ("contract_qa", "audit"): ((0, 24, 0, 8167, 1), D("0.0025551")),
    # 45 × 3.75 + 8,180 × 6 + 16 × 15 = 168.75 + 49,080 + 240 = 49,488.75 µUSD
    ("policy_manual_qa", "rail"): ((0, 45, 8180, 0, 16), D("0.04948875")),
    # 23 × 3.75 + 8,180 × 0.30 + 15 = 86.25 + 2,454 + 15 = 2,555.25 µUSD
    ("policy_manual_qa", "backup"): ((0, 23, 0, 8180, 1), D("0.00255525")),
    # 27 × 3.75 + 2,454 + 15 = 101.25 + 2,454 + 15 = 2,570.25 µUSD (twice)
    ("policy_manual_qa", "oncall"): ((0, 27, 0, 8180, 1), D("0.00257025")),
    ("policy_manual_qa", "gifts"): ((0, 27, 0, 8180, 1), D("0.00257025")),
    # 216,012 input > 200,000: the whole request at the long-context rates, 216,012 × 6 + 1 × 22.50
    # = 1,296,072 + 22.5 = 1,296,094.5 µUSD
    ("huge_document", "only"): ((216012, 0, 0, 0, 1), D("1.2960945")),
}
# Total: 31,001.25 + 2,615.1 + 2 × 2,555.1 + 49,488.75 + 2,555.25 + 2 × 2,570.25 + 1,296,094.5 = 1,392,005.55 µUSD.
ANT_TOTAL = D("1.39200555")


def _sonnet_usd(tokens: tuple[int, ...]) -> Decimal:
    uncached, w5m, w1h, read, out = tokens
    rates = SONNET_LONG if uncached + w5m + w1h + read > 200_000 else SONNET
    return (uncached * rates["in"] + w5m * rates["w5m"] + w1h * rates["w1h"] + read * rates["read"]
            + out * rates["out"]) / MTOK


def test_anthropic_5m_and_1h_cache_writes_and_reads(night) -> None:
    assert night.usage_by_case("anthropic", ANT_FIELDS) == {k: tokens for k, (tokens, _) in ANT_CALLS.items()}
    for tokens, usd in ANT_CALLS.values():
        assert _sonnet_usd(tokens) == usd
    stored = _stored(night, "anthropic")
    assert {k: v[0] for k, v in stored.items()} == {k: usd for k, (_, usd) in ANT_CALLS.items()}
    assert sum((usd for _, usd in ANT_CALLS.values()), D(0)) == ANT_TOTAL
    assert _report_spend(night, "anthropic", "claude-sonnet-4") == ANT_TOTAL
    # Per field: input 216,012 × 6 = 1.296072; 5 min writes 8,413 × 3.75 = 0.03154875; 1 h writes 8,180 × 6
    # = 0.04908; reads (3 × 8,167 + 3 × 8,180) × 0.30 = 49,041 × 0.30 = 0.0147123; output (1 + 16 + 1 + 1 + 16 + 1 + 1
    # + 1) = 38 × 15 + 1 × 22.5 = 570 + 22.5 = 0.0005925.
    assert _report_breakdown(night, "anthropic", "claude-sonnet-4") == {
        "input_uncached": D("1.296072"), "cache_write_5m": D("0.03154875"), "cache_write_1h": D("0.04908"),
        "cache_read": D("0.0147123"), "output": D("0.0005925"), "request_fee": D(0)}


def test_long_context_tier_bills_the_whole_request_and_only_above_200k(night) -> None:
    stored = _stored(night, "anthropic")
    tiers = {k: v[2] for k, v in stored.items()}
    assert tiers.pop(("huge_document", "only")) == ">200000"
    assert set(tiers.values()) == {None}  # 8K-token prompts stay at the base rates
    # At base rates the same request would have cost 216,012 × 3 + 15 = 648,051 µUSD: the tier doubles input.
    assert stored[("huge_document", "only")][0] == D("1.2960945") != D("0.648051")
