"""The runner against the in-process emulator: every call landed once, resume, budget, retries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from costbench.run import journal
from costbench.store import loader
from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.errors import BudgetExceeded
from costbench.run.runner import run_catalog
from costbench.store.db import opened, rows
from tests.conftest import ROOT
from tests.cap_support import capped_config, invoice_usd
from tests.runner_support import write_config

D = Decimal


@pytest.fixture
def emulator():
    with EmulatorServer(EmulatorConfig(seed=3, catalog_dir=ROOT / "tasks_catalog")) as emu:
        yield emu


def _billed(emu) -> list[str]:
    return [e.call_id for e in emu.ledger.entries() if e.billed]


def test_run_lands_every_call_exactly_once(tmp_path, emulator) -> None:
    cfg = write_config(tmp_path, emulator.url)
    result = run_catalog(cfg, run_id="r1")
    planned = 2 * 9  # 2 models × 3 tasks × 3 cases, single-turn
    assert result.planned_calls == planned
    assert result.sent_calls == planned and result.failed_calls == 0
    landed = journal.landed_records(cfg.paths.landing, "r1")
    assert len(landed) == planned
    billed = _billed(emulator)
    assert sorted(billed) == sorted(landed)  # one paid request per landed call, none twice
    assert result.spent_usd > 0
    with opened(cfg.paths.db) as con:
        load = loader.load_run(con, cfg.paths.landing, "r1")
        assert load.inserted_calls == planned and load.inserted_grades == planned
        stats = rows(con, "SELECT count(*) AS n, count(*) FILTER (WHERE passed) AS ok FROM grades")[0]
    assert stats["n"] == planned and 0 < stats["ok"] <= planned


def test_resume_sends_nothing_that_landed(tmp_path, emulator) -> None:
    cfg = write_config(tmp_path, emulator.url)
    run_catalog(cfg, run_id="r1")
    before = len(_billed(emulator))
    again = run_catalog(cfg, run_id="r1")
    assert again.sent_calls == 0 and again.skipped_calls == again.planned_calls
    assert len(_billed(emulator)) == before


def test_preflight_refuses_a_run_above_the_cap(tmp_path, emulator) -> None:
    cfg = write_config(tmp_path, emulator.url, per_run_usd="0.000001")
    with pytest.raises(BudgetExceeded, match="exceeds the per-run cap"):
        run_catalog(cfg, run_id="r1")
    assert emulator.ledger.entries() == []


# The invoice per call of number_lists (tests/cap_support.py), from the emulator's usage: 1,834 prompt tokens
# × $2 + 8 output tokens × $6 per Mtok = 3,668 + 48 = 3,716 µUSD; unconstrained, 12 calls = $0.044592.
CALL_USD = D("0.003716")


def _capped_run(tmp_path, emulator, cap: str, processes: int = 1, run_id: str = "capped", timeout_s: int = 10):
    cfg = capped_config(tmp_path, emulator.url, cap, processes=processes, timeout_s=timeout_s)
    result = run_catalog(cfg, run_id=run_id)
    return cfg, result, invoice_usd(emulator.ledger.entries())


def test_a_cap_below_the_real_spend_stops_sending_during_the_run(tmp_path, emulator) -> None:
    cap = D("0.02")  # above the pre-flight estimate ($0.0133), below the unconstrained $0.044592
    cfg, result, invoice = _capped_run(tmp_path, emulator, str(cap))
    billed = _billed(emulator)
    assert 0 < len(billed) < 12 and result.budget_stopped == 12 - len(billed)
    assert {e.usage["prompt_tokens"] for e in emulator.ledger.entries() if e.billed} == {1834}
    assert invoice == len(billed) * CALL_USD <= cap  # the provider's bill, from its own usage rows
    assert result.spent_usd == invoice  # the budget counted exactly what was billed
    assert sorted(journal.landed_records(cfg.paths.landing, "capped")) == sorted(billed)


def test_the_cap_binds_under_5xx_faults(tmp_path, emulator) -> None:
    emulator.set_faults(server_error_every=3)  # 503/500 answers: not billed, retried
    cap = D("0.02")
    _, result, _ = _capped_run(tmp_path, emulator, str(cap))
    emulator.stop()  # every request answered: the ledger is the whole invoice
    invoice = invoice_usd(emulator.ledger.entries())
    assert result.budget_stopped > 0 and result.failed_calls == 0
    assert {e.status for e in emulator.ledger.entries()} >= {200, 503}
    assert 0 < invoice <= cap and result.spent_usd == invoice


def test_a_resumed_run_stays_under_its_cap(tmp_path, emulator) -> None:
    # Before the resume fix a resume started its cap from zero: $0.03716 invoiced against a $0.02 cap.
    cap = D("0.02")
    cfg = capped_config(tmp_path, emulator.url, str(cap))
    first = run_catalog(cfg, run_id="capped")
    assert first.budget_stopped > 0
    sent = len(_billed(emulator))
    # resumed: the landed spend counts against the same cap, so the pre-flight check (spent + estimate of the
    # calls left) refuses the resume before anything is sent.
    with pytest.raises(BudgetExceeded, match="this run already spent exceeds the per-run cap"):
        run_catalog(cfg, run_id="capped")
    emulator.stop()
    assert len(_billed(emulator)) == sent
    assert invoice_usd(emulator.ledger.entries()) <= cap


def test_the_cap_binds_when_paid_answers_are_unreadable(tmp_path, emulator) -> None:
    emulator.set_faults(malformed_every=2)  # a 200 whose body is not JSON: billed, never priced
    cap = D("0.02")
    _, result, _ = _capped_run(tmp_path, emulator, str(cap))
    emulator.stop()
    assert result.budget_stopped > 0
    assert invoice_usd(emulator.ledger.entries()) <= cap


def test_an_overlapping_run_of_the_same_night_is_refused(tmp_path, emulator) -> None:
    from costbench.errors import StoreError
    from costbench.run.locks import run_lock

    cfg = write_config(tmp_path, emulator.url)
    with run_lock(journal.run_dir(cfg.paths.landing, "r1") / "main.lock"):
        with pytest.raises(StoreError, match="already running"):
            run_catalog(cfg, run_id="r1")
    assert emulator.ledger.entries() == []
    assert run_catalog(cfg, run_id="r1").sent_calls == 18  # once the first one is gone, it runs


def test_streamed_calls_land_with_the_same_usage_as_plain_ones(tmp_path) -> None:
    # Two fresh emulators with the same seed and the same run id: the same call ids get the same answers, so a
    # streamed call must land exactly the usage (and text) its plain twin landed.
    models = ("openai/gpt-5-mini", "anthropic/claude-sonnet-4", "google/gemini-2.5-flash")
    landed = {}
    for kind in ("plain", "streamed"):
        with EmulatorServer(EmulatorConfig(seed=3, catalog_dir=ROOT / "tasks_catalog")) as emu:
            cfg = write_config(tmp_path / kind, emu.url, models=models, tasks=["capital_cities"],
                               stream=kind == "streamed")
            result = run_catalog(cfg, run_id="r")
            assert result.sent_calls == 9 and result.failed_calls == 0, result
            landed[kind] = journal.landed_records(cfg.paths.landing, "r")
            billed = {e.call_id: e.usage for e in emu.ledger.entries() if e.billed}
            assert billed.keys() == landed[kind].keys()
    plain, streamed = landed["plain"], landed["streamed"]
    assert plain.keys() == streamed.keys() and len(plain) == 9
    for cid, rec in streamed.items():
        assert rec["raw_response_text"].startswith("[") and not plain[cid]["raw_response_text"].startswith("[")
        assert rec["usage"] == plain[cid]["usage"], rec["model"]
        assert rec["output_text"] == plain[cid]["output_text"]
    assert any(r["usage"]["reasoning_tokens"] for r in streamed.values())  # gpt-5-mini and gemini reason
