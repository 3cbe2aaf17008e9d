"""Re-pricing stored runs after a price-book change (nothing re-run), and the pre-flight estimate CLI."""

from __future__ import annotations

import shutil
from decimal import Decimal

from click.testing import CliRunner

from costbench.store import loader
from costbench.cli import main
from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.prices.fx import load_fx
from costbench.prices.book import PRICES_DIR, load_pricebook
from costbench.prices.pricing import Pricer, price_run, reprice
from costbench.run.runner import run_catalog, night_of
from costbench.store.db import opened, rows
from tests.conftest import ROOT
from tests.runner_support import write_config


def test_reprice_uses_the_new_price_book_without_calling_anyone(tmp_path) -> None:
    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = write_config(tmp_path, emu.url, models=("mistral/mistral-large-2411",))
        run = run_catalog(cfg, run_at=night_of("2025-10-01"))
        sent = len(emu.ledger.entries())
        with opened(cfg.paths.db) as con:
            loader.load_run(con, cfg.paths.landing, run.run_id)
            price_run(con, run.run_id)
            before = rows(con, "SELECT sum(total_usd) AS s FROM costs")[0]["s"]
            book = tmp_path / "prices"
            shutil.copytree(PRICES_DIR, book)
            text = (book / "mistral.yml").read_text()
            # A second, later mistral-large-2411 entry at half the price, right after its first one (the file
            # goes on with other models, so it cannot simply be appended at the end).
            header = "models:\n  mistral-large-2411:\n"
            head, rest = text.split(header, 1)
            entry, others = rest.split("\n  mistral-", 1)
            later = (entry.replace("2024-11-18T00:00:00Z", "2025-09-01T00:00:00Z")
                     .replace("input_uncached: 2,", "input_uncached: 1,").replace("output: 6}", "output: 3}"))
            assert later != entry
            (book / "mistral.yml").write_text(head + header + entry + "\n" + later + "\n  mistral-" + others)
            done = reprice(con, night_of("2025-09-30").date(), Pricer(load_pricebook(book), load_fx()))
            after = rows(con, "SELECT sum(total_usd) AS s, any_value(entry_id) AS e FROM costs")[0]
        assert len(emu.ledger.entries()) == sent  # nothing was sent again
    assert done == {run.run_id: 9}
    assert after["e"] == "mistral/mistral-large-2411@2025-09-01"
    assert after["s"] * 2 == before and after["s"] > Decimal(0)


def test_estimate_cli_prints_per_model_and_refuses_above_the_cap(tmp_path) -> None:
    cfg = write_config(tmp_path, "http://127.0.0.1:9", models=("deepseek/deepseek-chat", "openai/gpt-5-mini"))
    ok = CliRunner().invoke(main, ["estimate", "--config", str(cfg.source), "--at", "2025-10-01T02:00:00Z"])
    assert ok.exit_code == 0, ok.output
    assert "deepseek/deepseek-chat" in ok.output and "total (18 calls)" in ok.output and "within the caps" in ok.output
    tight = write_config(tmp_path, "http://127.0.0.1:9", per_run_usd="0.00001")
    refused = CliRunner().invoke(main, ["estimate", "--config", str(tight.source)])
    assert refused.exit_code == 1 and "exceeds the per-run cap" in refused.output
