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
from tests.runner_support import write_config


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


def test_reservations_stop_sending_before_the_cap(tmp_path, emulator) -> None:
    from costbench.catalog.tasks import load_catalog
    from costbench.run.estimate import estimate
    from costbench.prices.pricing import Pricer
    from costbench.run.runner import plan

    probe = write_config(tmp_path, emulator.url)
    est = estimate(plan(probe, load_catalog(probe.paths.catalog)), Pricer.load(), __import__("datetime").datetime.now(
        __import__("datetime").UTC))
    cap = (est.total_usd * Decimal("1.0001")).quantize(Decimal("0.000000001"))
    cfg = write_config(tmp_path, emulator.url, per_run_usd=str(cap))
    result = run_catalog(cfg, run_id="r2")
    assert result.spent_usd <= cap
    assert len(_billed(emulator)) == result.sent_calls


def test_retryable_faults_are_retried_and_never_billed_twice(tmp_path, emulator) -> None:
    emulator.configure(faults={"server_error_every": 3})
    cfg = write_config(tmp_path, emulator.url)
    result = run_catalog(cfg, run_id="r1")
    assert result.failed_calls == 0
    landed = journal.landed_records(cfg.paths.landing, "r1")
    assert max(r["attempts"] for r in landed.values()) > 1
    billed = _billed(emulator)
    assert len(billed) == len(set(billed)) == result.planned_calls


def test_an_overlapping_run_of_the_same_night_is_refused(tmp_path, emulator) -> None:
    from costbench.errors import StoreError
    from costbench.run.locks import run_lock

    cfg = write_config(tmp_path, emulator.url)
    with run_lock(journal.run_dir(cfg.paths.landing, "r1") / "main.lock"):
        with pytest.raises(StoreError, match="already running"):
            run_catalog(cfg, run_id="r1")
    assert emulator.ledger.entries() == []
    assert run_catalog(cfg, run_id="r1").sent_calls == 18  # once the first one is gone, it runs


def test_streamed_calls_land_with_the_same_usage_as_plain_ones(tmp_path, emulator) -> None:
    models = ("openai/gpt-5-mini", "anthropic/claude-sonnet-4", "google/gemini-2.5-flash")
    plain = write_config(tmp_path / "plain", emulator.url, models=models, tasks=["capital_cities"])
    streamed = write_config(tmp_path / "streamed", emulator.url, models=models, tasks=["capital_cities"], stream=True)
    for cfg, run_id in ((plain, "plain"), (streamed, "streamed")):  # two run ids: no idempotent replay
        result = run_catalog(cfg, run_id=run_id)
        assert result.sent_calls == 9 and result.failed_calls == 0, result
    a = {(r["model"], r["case_id"]): r for r in journal.landed_records(plain.paths.landing, "plain").values()}
    b = {(r["model"], r["case_id"]): r for r in journal.landed_records(streamed.paths.landing, "streamed").values()}
    assert a.keys() == b.keys() and len(b) == 9
    for key, rec in b.items():
        assert rec["raw_response_text"].startswith("[") and not a[key]["raw_response_text"].startswith("[")
        assert rec["usage"]["output_tokens"] > 0
        assert rec["usage"]["input_uncached_tokens"] + rec["usage"]["cache_read_tokens"] > 0
