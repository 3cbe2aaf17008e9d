"""Run with a recognisable fake key (real-provider mode, against the emulator's URL) and grep every
output — journal, DuckDB file, report, logs — for it. A rejected key's error must not leak it either."""

from __future__ import annotations

import json
import logging

from click.testing import CliRunner

from costbench.store import loader
from costbench.prices import pricing
from costbench.report import site as report
from costbench.cli import main
from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.run.runner import run_catalog
from costbench.store.db import opened
from tests.conftest import ROOT
from tests.runner_support import write_config

FAKE = "sk-costbench-FAKE-0123456789abcdefSECRET"
REVOKED = "revoked-costbench-FAKE-key-987654321"


def test_keys_never_reach_any_output(tmp_path, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DEEPSEEK_API_KEY", FAKE)
    monkeypatch.setenv("MISTRAL_API_KEY", REVOKED)
    with EmulatorServer(EmulatorConfig(seed=1, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = write_config(tmp_path, None, max_retries=0, base_urls={
            "deepseek": f"{emu.url}/deepseek", "mistral": f"{emu.url}/mistral/v1"})
        result = run_catalog(cfg, run_id="r1")
        ledger = [e.to_dict() for e in emu.ledger.entries()]
    assert result.sent_calls == 18 and result.failed_calls == 9  # mistral's key is rejected (401)
    with opened(cfg.paths.db) as con:
        loader.load_run(con, cfg.paths.landing, "r1")
        pricing.price_run(con, "r1")
    report.build(cfg.paths.db, cfg.paths.site)
    cli = CliRunner().invoke(main, ["query", "run_history", "--config", str(cfg.source), "--format", "json"])
    assert cli.exit_code == 0, cli.output  # the query really ran: its output is part of what is searched below
    (run,) = json.loads(cli.output)
    assert run["run_id"] == "r1" and run["calls"] == 18 and run["failed_calls"] == 9
    outputs = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    outputs += [caplog.text.encode(), cli.output.encode(), str(ledger).encode(), str(result).encode()]
    for secret in (FAKE, REVOKED, FAKE[10:30]):
        assert not any(secret.encode() in blob for blob in outputs), secret
    assert any(b"invalid API key" in blob for blob in outputs)  # the error itself was kept, without the key
