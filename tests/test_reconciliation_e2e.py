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
