"""End to end: a run against the emulator (an independent biller), priced with one deliberately wrong
price-book entry from a user price book; reconciliation flags that model's calls and the gate fails the run."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.prices import pricing
from costbench.run.runner import run_catalog
from costbench.store import loader, quality
from costbench.store.db import opened, query, rows
from tests.conftest import ROOT
from tests.runner_support import write_config

WRONG_GROK = """provider: xai
models:
  grok-4:
    - effective_from: 2025-07-09T00:00:00Z
      currency: USD
      rates: {input_uncached: 3, cache_read: 0.75, output: 16}
      source: https://example.invalid/a-deliberately-wrong-entry
      checked_on: 2026-11-30
      confidence: unverified
      evidence: "a test's deliberately wrong output price (16 instead of 15 USD per Mtok)"
"""


def test_a_wrong_entry_is_caught_by_reconciliation_and_fails_the_gate(tmp_path) -> None:
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / "xai.yml").write_text(WRONG_GROK)
    with EmulatorServer(EmulatorConfig(seed=5, catalog_dir=ROOT / "tasks_catalog", rate_limits={})) as emu:
        cfg = write_config(tmp_path, emu.url, models=("xai/grok-4", "openrouter/anthropic/claude-sonnet-4"),
                           tasks=["capital_cities"], extra='[prices]\npaths = ["wrong"]\n')
        result = run_catalog(cfg, run_at=datetime(2025, 10, 2, 3, tzinfo=UTC))
        ledger = {e.call_id: e for e in emu.ledger.entries() if e.billed}
    loader.load(cfg, result.run_id)
    assert pricing.price(cfg.paths.db, result.run_id, cfg) > 0
    report = quality.check(cfg.paths.db, result.run_id)
    assert not report.passed and any("reconciliation_flagged_share" in f for f in report.failures)
    with opened(cfg.paths.db) as con:
        share = {r["provider"]: r for r in query(con, "quality/reconciliation_share", run_id=result.run_id, max_share=0.0)}
        calls = rows(con, "SELECT c.call_id, c.provider, c.output_tokens, c.provider_reported_cost_usd, k.total_usd "
                          "FROM calls c JOIN costs k USING (call_id) WHERE c.run_id = ?", [result.run_id])
    assert set(share) == {"xai"} and share["xai"]["flagged_calls"] == share["xai"]["calls_with_figure"] > 0
    for call in calls:
        # the provider's figure is the emulator's invoice, exactly
        assert call["provider_reported_cost_usd"] == Decimal(ledger[call["call_id"]].billed_amount)
        expected = -Decimal(call["output_tokens"]) / 10**6 if call["provider"] == "xai" else Decimal(0)
        assert call["provider_reported_cost_usd"] - call["total_usd"] == expected  # $1/Mtok too much on output


def test_a_gateway_billing_the_old_price_is_a_lag_not_an_error(tmp_path) -> None:
    """OpenRouter's deepseek copy bills the 2025-09-29 cut 48 h late (the emulator's billing.yml): a night in
    between is flagged against the new entry, explained by the previous one, and passes the gate."""
    with EmulatorServer(EmulatorConfig(seed=5, catalog_dir=ROOT / "tasks_catalog", rate_limits={})) as emu:
        cfg = write_config(tmp_path, emu.url, models=("openrouter/deepseek/deepseek-chat",), tasks=["capital_cities"])
        lagged = run_catalog(cfg, run_at=datetime(2025, 9, 30, 2, tzinfo=UTC))
        billed = run_catalog(cfg, run_at=datetime(2025, 10, 1, 2, tzinfo=UTC))
    for run in (lagged, billed):
        loader.load(cfg, run.run_id)
        assert pricing.price(cfg.paths.db, run.run_id, cfg) > 0
        assert quality.check(cfg.paths.db, run.run_id).passed
    with opened(cfg.paths.db) as con:
        costs = rows(con, "SELECT c.run_id, c.output_tokens, c.input_uncached_tokens, c.cache_read_tokens, "
                          "c.provider_reported_cost_usd, k.entry_id, k.billed_entry_id, k.reconciliation_flag "
                          "FROM calls c JOIN costs k USING (call_id)")
        report = query(con, "analytics/reconciliation")
    new, old = "openrouter/deepseek/deepseek-chat@2025-09-29", "openrouter/deepseek/deepseek-chat@2025-09-05T16:00"
    for c in costs:
        assert c["entry_id"] == new
        # the figure at the V3.1 price the night of 09-30, at the V3.2 price from 10-01 (USD per Mtok, by hand)
        miss, hit, out = ("0.56", "0.07", "1.68") if c["run_id"] == lagged.run_id else ("0.28", "0.028", "0.42")
        assert c["provider_reported_cost_usd"] == (c["input_uncached_tokens"] * Decimal(miss) + c["cache_read_tokens"]
                                                   * Decimal(hit) + c["output_tokens"] * Decimal(out)) / 10**6
        assert (c["billed_entry_id"], c["reconciliation_flag"]) == ((old, True) if c["run_id"] == lagged.run_id else (new, False))
    per_run = {r: sum(1 for c in costs if c["run_id"] == r) for r in (lagged.run_id, billed.run_id)}
    assert report[0]["flagged_calls"] == report[0]["lagged_calls"] == per_run[lagged.run_id] > 0
