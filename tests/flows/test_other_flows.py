"""Smoke tests of the other flows under the Prefect test harness, against the in-process emulator."""

from __future__ import annotations

import yaml

from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.store.db import opened, rows
from flows.backfill import backfill
from flows.prices import prices
from flows.report import report_flow
from flows.reprice import reprice
from flows.sharded import shard_plan
from tests.conftest import ROOT
from tests.runner_support import write_config


def test_backfill_then_reprice_then_report(tmp_path) -> None:
    with EmulatorServer(EmulatorConfig(seed=3, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = write_config(tmp_path, emu.url, tasks=["capital_cities"], models=("deepseek/deepseek-chat",))
        run_ids = backfill(config_path=str(cfg.source), start="2025-09-28", end="2025-09-30")
        again = backfill(config_path=str(cfg.source), start="2025-09-30", end="2025-09-30")  # resumes, sends nothing
        billed = [e for e in emu.ledger.entries() if e.billed]
    assert len(run_ids) == 3 and again == run_ids[-1:] and len(billed) == 9
    assert reprice(config_path=str(cfg.source), since="2025-09-29") == 6
    with opened(cfg.paths.db) as con:
        entries = [r["entry_id"] for r in rows(con, "SELECT DISTINCT entry_id FROM costs ORDER BY 1")]
    assert entries == ["deepseek/deepseek-chat@2025-09-05T16:00", "deepseek/deepseek-chat@2025-09-29"]
    index = report_flow(config_path=str(cfg.source))
    assert index.endswith("index.html") and "deepseek-chat" in (cfg.paths.site / "index.html").read_text()


def test_prices_flow_records_a_change_as_a_new_dated_entry(tmp_path) -> None:
    cfg = write_config(tmp_path, None, models=("deepseek/deepseek-chat",))
    folder = tmp_path / "imported"
    assert prices(config_path=str(cfg.source), folder=str(folder)) == ["deepseek/deepseek-chat: first import"]
    doc = yaml.safe_load((folder / "deepseek.yml").read_text())
    doc["models"]["deepseek-chat"][0]["rates"]["output"] = "9.99"  # as if upstream had changed since
    (folder / "deepseek.yml").write_text(yaml.safe_dump(doc))
    changes = prices(config_path=str(cfg.source), folder=str(folder))
    assert len(changes) == 1 and "price changed" in changes[0]
    history = yaml.safe_load((folder / "deepseek.yml").read_text())["models"]["deepseek-chat"]
    assert len(history) == 2 and history[0]["rates"]["output"] == "9.99"


def test_shard_plan_deals_providers_round_robin() -> None:
    assert shard_plan(["xai", "deepseek", "mistral"], 2) == {"shard0": ["deepseek", "xai"], "shard1": ["mistral"]}
