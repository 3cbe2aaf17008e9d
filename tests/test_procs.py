"""Several runner processes for one run: the same calls, landed once, limits and budget split."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from costbench.run import journal
from costbench.store import loader
from costbench.run.budget import Budget
from costbench.catalog.tasks import load_catalog
from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.errors import CostbenchError
from costbench.run.processes import Part, budget_slices, effective_processes
from costbench.run.runner import plan, run_catalog
from costbench.store.db import opened, rows
from tests.conftest import ROOT
from tests.cap_support import capped_config, invoice_usd
from tests.runner_support import write_config


@pytest.fixture
def emulator():
    with EmulatorServer(EmulatorConfig(seed=3, catalog_dir=ROOT / "tasks_catalog")) as emu:
        yield emu


def test_shares_of_concurrency_and_rates_add_up_to_the_limits() -> None:
    for total in (1, 7, 8, 64):
        for count in range(1, min(total, 5) + 1):
            shares = [Part(i, count).concurrency(total) for i in range(count)]
            assert sum(shares) == total and min(shares) >= 1
    assert sum(Part(i, 3).rate(600) for i in range(3)) == pytest.approx(600)
    assert Part(0, 3).rate(None) is None
    assert Part(1, 3).shard("main") == "main-p1"


def test_budget_slices_follow_the_estimate_and_never_pass_the_headroom() -> None:
    budget = Budget(Decimal("1.00"), Decimal("1.50"), spent_today_usd=Decimal("0.70"))
    budget.count_in_doubt(Decimal("0.10"))  # a crashed call of this run, counted once by the parent
    slices = budget_slices(budget, [Decimal("0.3"), Decimal("0.1"), Decimal("0")])
    run_left, day_left = Decimal("0.90"), Decimal("0.70")  # the day cap is the tighter one
    assert [s.per_run_usd for s in slices] == [Decimal("0.675"), Decimal("0.225"), Decimal("0")]
    assert sum(s.per_run_usd for s in slices) <= run_left
    assert sum(s.per_day_usd for s in slices) <= day_left
    assert all(s.headroom_usd <= s.per_day_usd for s in slices)
    thirds = budget_slices(Budget(Decimal("1"), Decimal("1")), [Decimal("1")] * 3)  # 1/3 rounds DOWN
    assert sum(s.per_run_usd for s in thirds) <= Decimal("1") and thirds[0].per_run_usd == Decimal("0.333333333333")


def test_processes_are_capped_by_the_smallest_provider_concurrency(tmp_path) -> None:
    cfg = write_config(tmp_path, "http://127.0.0.1:9", concurrency=3)
    attempts = plan(cfg, load_catalog(cfg.paths.catalog))
    assert effective_processes(cfg, attempts, 8) == 3
    assert effective_processes(cfg, attempts[:2], 8) == 2
    assert effective_processes(cfg, attempts, 1) == 1


def test_two_processes_land_every_call_exactly_once(tmp_path, emulator) -> None:
    cfg = write_config(tmp_path, emulator.url, processes=2, repeats=2)
    result = run_catalog(cfg, run_id="r1", run_at=datetime(2025, 10, 1, 2, tzinfo=UTC))
    planned = 2 * 9 * 2  # 2 models × 9 cases × 2 repeats
    assert (result.planned_calls, result.sent_calls, result.failed_calls) == (planned, planned, 0)
    shards = {p.name: len(journal.read_lines(p).records) for p in journal.run_dir(cfg.paths.landing, "r1").glob("*.jsonl")}
    assert shards == {"main-p0.jsonl": planned // 2, "main-p1.jsonl": planned // 2,
                      "main-p0.sent.jsonl": planned // 2, "main-p1.sent.jsonl": planned // 2}
    billed = [e.call_id for e in emulator.ledger.entries() if e.billed]
    landed = journal.landed_records(cfg.paths.landing, "r1")
    assert len(billed) == len(set(billed)) == planned and set(billed) == set(landed)
    # The children's spend, summed exactly, is what the provider billed (its usage rows × hand-typed prices).
    assert result.spent_usd == invoice_usd(emulator.ledger.entries()) > 0
    with opened(cfg.paths.db) as con:
        assert loader.load_run(con, cfg.paths.landing, "r1").inserted_calls == planned
        assert rows(con, "SELECT count(DISTINCT shard) AS n FROM calls")[0]["n"] == 2
    again = run_catalog(cfg, run_id="r1")  # resumed with two processes: nothing is sent again
    assert again.sent_calls == 0 and again.skipped_calls == planned


@pytest.mark.parametrize("processes", [2, 3])
def test_a_cap_below_the_real_spend_binds_across_processes(tmp_path, emulator, processes) -> None:
    # number_lists costs 3,716 µUSD a call (1,834 × $2 + 8 × $6 per Mtok), $0.044592 for its 12 calls unconstrained;
    # the pre-flight estimate is $0.0133, so a $0.02 cap is only enforced by the reservations of each process.
    cap = Decimal("0.02")
    cfg = capped_config(tmp_path, emulator.url, str(cap), processes=processes)
    result = run_catalog(cfg, run_id="capped")
    billed = [e.call_id for e in emulator.ledger.entries() if e.billed]
    invoice = invoice_usd(emulator.ledger.entries())
    assert 0 < len(billed) < 12 and result.budget_stopped == 12 - len(billed)
    assert invoice == len(billed) * Decimal("0.003716") <= cap
    assert result.spent_usd == invoice
    assert len({p.name for p in journal.run_dir(cfg.paths.landing, "capped").glob("main-p*.sent.jsonl")}) == processes


def test_a_failing_runner_process_is_one_clear_error(tmp_path, emulator, monkeypatch) -> None:
    import costbench.run.runner

    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(costbench.run.runner, "run_attempts", broken)  # the forked children inherit it
    cfg = write_config(tmp_path, emulator.url, processes=2)
    with pytest.raises(CostbenchError, match=r"runner process 0 failed: RuntimeError: disk on fire.*resume the run"):
        run_catalog(cfg, run_id="r3")


def test_cli_processes_option_overrides_the_config(tmp_path, emulator) -> None:
    from click.testing import CliRunner

    from costbench.cli import main

    cfg = write_config(tmp_path, emulator.url)
    out = CliRunner().invoke(main, ["run", "--config", str(cfg.source), "--processes", "2", "--at", "2025-09-30T02:00:00Z"])
    assert out.exit_code == 0, out.output
    assert "18 calls sent, 0 already landed, 0 failed" in out.output
    (run_dir,) = [p for p in cfg.paths.landing.iterdir() if p.is_dir()]
    assert sorted(p.name for p in run_dir.glob("main-p*.jsonl") if ".sent." not in p.name) == ["main-p0.jsonl",
                                                                                           "main-p1.jsonl"]
    bad = CliRunner().invoke(main, ["run", "--config", str(cfg.source), "--processes", "0"])
    assert bad.exit_code == 2 and "0 is not in the range 1<=x<=64" in bad.output
