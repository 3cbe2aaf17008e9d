"""Smoke test: the nightly flow under a Prefect test harness, against the in-process emulator."""

from __future__ import annotations

from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.store.db import opened, rows
from flows.nightly import nightly
from tests.conftest import ROOT
from tests.runner_support import write_config


def test_nightly_flow_lands_prices_gates_and_reports(tmp_path) -> None:
    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = write_config(tmp_path, emu.url)
        run_id = nightly(config_path=str(cfg.source), night="2025-09-30")
        billed = [e.call_id for e in emu.ledger.entries() if e.billed]
    with opened(cfg.paths.db) as con:
        run = rows(con, "SELECT status, run_at FROM runs WHERE run_id = ?", [run_id])[0]
        calls = rows(con, "SELECT count(*) AS n FROM calls JOIN costs USING (call_id) WHERE calls.run_id = ?", [run_id])
    assert run["status"] == "ok"
    assert run["run_at"].isoformat().startswith("2025-09-30T02:00")
    assert calls[0]["n"] == len(billed) == 18
    index = (cfg.paths.site / "index.html").read_text()
    assert "deepseek-chat" in index and "mistral-large-2411" in index
