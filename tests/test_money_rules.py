"""Money rules of issue 14: bad input refused before any paid call; spend counted exactly once, never as $0."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner

from costbench.cli import main
from costbench.config import Config, load_config
from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.errors import BudgetExceeded
from costbench.run import journal
from costbench.run.runner import run_catalog
from tests.conftest import ROOT

def _cli(args: list[str]) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output
    return result.exit_code, result.output.strip().splitlines()


# --- Money: every figure below is checked against the emulator's ledger (what the provider billed) ----------

RUN_AT = "2025-10-01T02:00:00+00:00"
CNY_USD = Decimal("0.1395")  # costbench/prices/fx.yml: the 2025-07 average, in force from 2025-08-01 to 2025-10-31
DEEPSEEK_IN, DEEPSEEK_OUT = Decimal(2), Decimal(3)  # deepseek-chat from 2025-09-29, CNY per Mtok (dearest input: 2)


def _money_config(tmp_path: Path, url: str, *, cap: str = "5.00", per_day: str = "100.00", timeout: float = 10,
                  retries: int = 4, repeats: int = 1, tasks: tuple[str, ...] = ("capital_cities",),
                  provider_lines: tuple[str, ...] = (), concurrency: int = 8) -> Config:
    text = "\n".join([
        "[paths]", f'db = "{tmp_path / "cb.duckdb"}"', f'landing = "{tmp_path / "landing"}"',
        f'site = "{tmp_path / "site"}"', f'catalog = "{ROOT / "tasks_catalog"}"',
        "[run]", f"repeats = {repeats}", f"max_retries = {retries}", f"timeout_s = {timeout}",
        "tasks = [" + ", ".join(f'"{t}"' for t in tasks) + "]", "db_lock_wait_s = 0.5",
        "cases_per_task = 3",  # the day's window: 3 cases per task, as runner_support.write_config
        "[budget]", f'per_run_usd = "{cap}"', f'per_day_usd = "{per_day}"',
        "[emulator]", f'url = "{url}"',
        "[providers.deepseek]", 'dialect = "deepseek"', f"concurrency = {concurrency}", *provider_lines,
        "[[models]]", 'provider = "deepseek"', 'model = "deepseek-chat"',
    ])
    path = tmp_path / "costbench.toml"
    tmp_path.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    return load_config(path)


def _worst_usd(prompt_tokens: int, output_tokens: int) -> Decimal:
    """Worst case written out by hand: every prompt token at the dearest input rate, every output token at the
    output rate, converted at the dated FX rate."""
    return (prompt_tokens * DEEPSEEK_IN + output_tokens * DEEPSEEK_OUT) / Decimal(1_000_000) * CNY_USD


def _billed_usd(emu: EmulatorServer) -> Decimal:
    """The emulator's invoice lines (in each provider's own currency) in USD, at the rates typed above."""
    to_usd = {"USD": Decimal(1), "CNY": CNY_USD}
    return sum((Decimal(e.billed_amount) * to_usd[e.billed_currency] for e in emu.ledger.entries() if e.billed),
               Decimal(0))


def _settled(emu: EmulatorServer, quiet_s: float = 0.7) -> None:
    """Wait until the emulator's ledger stops growing (requests abandoned by the client are still served)."""
    seen, deadline = -1, time.monotonic() + 30
    while len(emu.ledger.entries()) != seen and time.monotonic() < deadline:
        seen = len(emu.ledger.entries())
        time.sleep(quiet_s)


def _at() -> datetime:
    return datetime.fromisoformat(RUN_AT)


def test_a_key_in_flight_waits_for_the_first_request_then_replays_it() -> None:
    body = {"model": "deepseek-chat", "max_tokens": 50,
            "messages": [{"role": "user", "content": "What is the capital of Peru? Answer with the city name only."}]}
    headers = {"Authorization": "Bearer k-idem", "Idempotency-Key": "in-flight-1", "X-Costbench-Call-Id": "in-flight-1"}

    async def twice(url: str) -> list[httpx2.Response]:
        async with httpx2.AsyncClient(timeout=10) as client:
            return await asyncio.gather(*(client.post(f"{url}/deepseek/chat/completions", json=body, headers=headers)
                                          for _ in range(2)))

    with EmulatorServer(EmulatorConfig(seed=2, latency_ms=300, catalog_dir=ROOT / "tasks_catalog")) as emu:
        first, second = asyncio.run(twice(emu.url))
        entries = [(e.billed, e.replay) for e in emu.ledger.entries()]
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert sorted(entries) == [(False, True), (True, False)]  # billed once, the second one replayed


def test_a_timed_out_call_is_retried_with_its_key_and_billed_once(tmp_path) -> None:
    with EmulatorServer(EmulatorConfig(seed=2, latency_ms=500, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = _money_config(tmp_path, emu.url, timeout=0.3, retries=4)
        result = run_catalog(cfg, run_id="t1", run_at=_at())
        billed = [e.call_id for e in emu.ledger.entries() if e.billed]
        replays = [e.call_id for e in emu.ledger.entries() if e.replay]
        billed_usd = _billed_usd(emu)
    landed = journal.landed_records(cfg.paths.landing, "t1")
    assert len(landed) == 3 and sorted(billed) == sorted(landed)  # one bill per call, though every call was retried
    assert set(replays) <= set(landed) and len(replays) >= 3
    charged = sum(Decimal(r["charged_usd"]) for r in landed.values())
    assert charged >= billed_usd > 0 and result.spent_usd == charged


def test_a_timeout_without_idempotency_is_not_resent_and_charged_at_worst_case(tmp_path) -> None:
    with EmulatorServer(EmulatorConfig(seed=2, latency_ms=500, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = _money_config(tmp_path, emu.url, timeout=0.2, retries=4, provider_lines=("idempotency = false",))
        result = run_catalog(cfg, run_id="t2", run_at=_at())
        _settled(emu)  # the emulator finishes serving (and billing) the abandoned requests
        entries = emu.ledger.entries()
        billed_usd = _billed_usd(emu)
    landed = journal.landed_records(cfg.paths.landing, "t2")
    assert len(entries) == 3 and all(e.billed for e in entries)  # one request per call: never re-sent
    for rec in landed.values():
        bound = rec["cost_estimate"]
        assert rec["status"] == "timed_out" and rec["attempts"] == 1
        assert Decimal(rec["charged_usd"]) == _worst_usd(bound["prompt_tokens_max"], bound["output_tokens_max"])
        assert bound["output_tokens_max"] == 16  # capital_cities max_output_tokens
    assert result.spent_usd >= billed_usd > 0  # what the provider billed is covered, never counted as $0


@pytest.mark.parametrize(("fault", "stream"), [("malformed_every", False), ("missing_usage_every", False),
                                               ("truncated_stream_every", True)])
def test_a_200_whose_usage_cannot_be_read_is_charged_and_stored_at_worst_case(tmp_path, fault: str, stream: bool) -> None:
    from costbench.prices import pricing
    from costbench.store import loader
    from costbench.store.db import opened, rows

    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog")) as emu:
        emu.set_faults(**{fault: 1})
        cfg = _money_config(tmp_path, emu.url, provider_lines=(f"stream = {'true' if stream else 'false'}",))
        result = run_catalog(cfg, run_id="u1", run_at=_at())
        billed_usd = _billed_usd(emu)
        assert len([e for e in emu.ledger.entries() if e.billed]) == 3  # the provider billed all three
    loader.load(cfg, "u1")
    pricing.price(cfg.paths.db, "u1")
    with opened(cfg.paths.db, read_only=True) as con:
        calls = rows(con, "SELECT c.status, c.raw_response IS NOT NULL AS kept, c.cost_estimate, k.total_usd, "
                          "k.estimated, k.estimate_reason FROM calls c JOIN costs k USING (call_id)")
        report_spend = rows(con, "SELECT sum(spend_usd) AS usd FROM daily_usage WHERE run_id = 'u1'")[0]["usd"]
    assert len(calls) == 3
    for c in calls:
        bound = __import__("json").loads(c["cost_estimate"])
        assert c["status"] == "usage_unreadable" and c["kept"] and c["estimated"]
        assert c["total_usd"] == _worst_usd(bound["prompt_tokens_max"], bound["output_tokens_max"])
        assert c["estimate_reason"].startswith("usage_unreadable: the provider answered 200 (billed)")
    stored = sum(c["total_usd"] for c in calls)
    assert report_spend == stored == result.spent_usd  # the report's spend counts it, as the budget did
    assert stored >= billed_usd > 0  # never $0: the worst case covers what was billed


def _run_cli(cfg: Config) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["run", "--config", str(cfg.source), "--at", RUN_AT])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output.strip().splitlines()


def test_a_run_whose_calls_all_fail_is_quarantined_and_exits_1(tmp_path, monkeypatch) -> None:
    from costbench.store.db import opened, rows

    monkeypatch.setenv("COSTBENCH_TEST_BAD_KEY", "bad-key-123")
    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = _money_config(tmp_path, emu.url, provider_lines=(f'base_url = "{emu.url}/deepseek"',
                                                               'api_key_env = "COSTBENCH_TEST_BAD_KEY"'))
        code, lines = _run_cli(cfg)
        assert [e.status for e in emu.ledger.entries()] == [401, 401, 401]
    assert code == 1
    assert "deepseek/deepseek-chat: 3/3 calls failed: HTTP 401 invalid API key" in lines, lines
    assert not any("all" in line and "checks passed" in line for line in lines)
    with opened(cfg.paths.db, read_only=True) as con:
        assert rows(con, "SELECT status FROM runs") == [{"status": "failed_quality"}]


def test_a_model_above_the_failed_share_fails_the_gate_and_one_below_passes() -> None:
    from costbench.store.quality import check_run
    from tests.sql_fixtures import D, add_call, add_entries, add_run, db

    con = db()
    add_entries(con)
    add_run(con, "r1", _at(), status="running")
    for i in range(10):
        add_call(con, "r1", f"c{i}", _at(), uncached=10, read=0, out=5, passed=True, total_usd=D("0.1"),
                 entry="deepseek/x@2025-09-29")
    con.execute("UPDATE calls SET status = 'error', http_status = 503, "
                "error = 'deepseek: HTTP 503: {\"error\": {\"message\": \"overloaded\"}}' WHERE call_id IN ('c0', 'c1')")
    report = check_run(con, "r1", max_failed_share=0.1)  # 2/10 failed > 10 %
    assert not report.passed
    assert report.failing_models == ["deepseek/x: 2/10 calls failed: HTTP 503 overloaded"]
    assert check_run(con, "r1", max_failed_share=0.2).passed  # 2/10 is not above 20 %


TASKS3 = ("capital_cities", "math_word_problems", "sentiment_classification")  # 9 cases; × 4 repeats = 36 calls


def _estimate_usd(cfg: Config) -> Decimal:
    from costbench.catalog.tasks import load_catalog
    from costbench.prices.pricing import Pricer
    from costbench.run.estimate import estimate
    from costbench.run.runner import plan

    return estimate(plan(cfg, load_catalog(cfg.paths.catalog)), Pricer.load(), _at()).total_usd


def _interrupt(cfg: Config, run_id: str, after_landed: int) -> None:
    """Start a run and cancel it mid-flight (calls in flight stay in doubt), as a crash would."""
    from costbench.run.budget import Budget
    from costbench.run.runner import run_catalog_async

    async def go() -> None:
        budget = Budget(cfg.budget.per_run_usd, cfg.budget.per_day_usd)
        task = asyncio.ensure_future(run_catalog_async(cfg, budget, run_id=run_id, run_at=_at()))
        while not task.done() and len(journal.landed_records(cfg.paths.landing, run_id)) < after_landed:
            await asyncio.sleep(0.005)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(go())


def test_resume_counts_the_runs_landed_and_in_doubt_spend_against_the_per_run_cap(tmp_path) -> None:
    with EmulatorServer(EmulatorConfig(seed=4, latency_ms=30, catalog_dir=ROOT / "tasks_catalog")) as emu:
        first = _money_config(tmp_path, emu.url, repeats=4, tasks=TASKS3, concurrency=2)
        _interrupt(first, "r1", after_landed=27)
        _settled(emu)  # the emulator finishes (and bills) what was in flight
        landed = len(journal.landed_records(first.paths.landing, "r1"))
        assert 27 <= landed < 36
        cap = (_billed_usd(emu) * Decimal("1.1")).quantize(Decimal("1e-10"))  # below what all 36 calls cost
        resumed = _money_config(tmp_path, emu.url, cap=str(cap), repeats=4, tasks=TASKS3, concurrency=2)
        with contextlib.suppress(BudgetExceeded):  # refused at pre-flight, or stopped by the reservations
            run_catalog(resumed, run_id="r1", run_at=_at())
        billed = [e.call_id for e in emu.ledger.entries() if e.billed]
        total = _billed_usd(emu)
    assert len(billed) == len(set(billed))  # nothing paid twice
    assert total <= cap, f"the run was billed ${total} against a ${cap} cap"


def test_a_resent_in_doubt_call_reuses_its_charge_and_is_proven_by_the_replay() -> None:
    from costbench.run.budget import Budget

    async def go() -> Budget:
        budget = Budget(per_run_usd=Decimal("1.00"), per_day_usd=Decimal("10"))
        budget.count_landed(Decimal("0.50"))
        budget.count_in_doubt(Decimal("0.40"), "c1")  # 0.90 of 1.00 spent: a fresh 0.40 reservation cannot fit
        held = await budget.reserve_resend("c1", Decimal("0.40"))
        assert held == Decimal("0.40") and budget.spent_usd == Decimal("0.50")
        budget.settle(held, Decimal("0.03"))  # the replay's usage: the one bill of that call
        return budget

    budget = asyncio.run(go())
    assert budget.spent_usd == Decimal("0.53") and budget.reserved_usd == 0 and budget.in_doubt_usd == {}


def test_the_daily_cap_counts_other_runs_of_the_day_from_their_journals(tmp_path) -> None:
    with EmulatorServer(EmulatorConfig(seed=4, catalog_dir=ROOT / "tasks_catalog")) as emu:
        probe = _money_config(tmp_path, emu.url, repeats=4, tasks=TASKS3)
        day_cap = (_estimate_usd(probe) * Decimal("1.3")).quantize(Decimal("1e-10"))
        cfg = _money_config(tmp_path, emu.url, per_day=str(day_cap), repeats=4, tasks=TASKS3)
        run_catalog(cfg, run_id="night-a", run_at=_at())  # landed, never loaded into DuckDB
        with contextlib.suppress(BudgetExceeded):
            run_catalog(cfg, run_id="night-b", run_at=_at())  # same day, another run id
        total = _billed_usd(emu)
    assert total <= day_cap, f"the day was billed ${total} against a ${day_cap} daily cap"


# --- Concurrency: the load step waits for DuckDB's writer lock; read-only commands open read-only ----------

_HOLDER = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro'); " \
          "print('ready', flush=True); time.sleep(float(sys.argv[3]))"


@contextlib.contextmanager
def _db_held(path: Path, mode: str, seconds: float = 60) -> Iterator[subprocess.Popen]:
    """Another process holding the DuckDB file (``rw``: the writer lock; ``ro``: a reader)."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), mode, str(seconds)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        yield proc
    finally:
        proc.kill()
        proc.wait(10)


def _landed_run(tmp_path: Path, emu: EmulatorServer) -> Config:
    cfg = _money_config(tmp_path, emu.url)
    run_catalog(cfg, run_id="r1", run_at=_at())
    return cfg


def test_load_waits_for_the_writer_lock_and_says_how_to_load_later(tmp_path) -> None:
    from costbench.errors import StoreError
    from costbench.store import loader
    from costbench.store.db import opened, rows

    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = _landed_run(tmp_path, emu)
    with opened(cfg.paths.db):
        pass  # the store exists and is migrated
    with _db_held(cfg.paths.db, "rw") as holder:
        with pytest.raises(StoreError) as info:
            loader.load(cfg, "r1")  # waits db_lock_wait_s = 0.5, then gives up
    message = str(info.value)
    assert "\n" not in message and f"held by PID {holder.pid}" in message
    assert message.endswith(f"load it later with: costbench db load r1 --config {cfg.source}")
    code, lines = _cli(["db", "load", "r1", "--config", str(cfg.source)])  # the exact command, now the lock is free
    assert code == 0 and lines[0].startswith("run r1: landed 3 new call rows"), lines
    with opened(cfg.paths.db, read_only=True) as con:
        assert rows(con, "SELECT count(*) AS n FROM calls") == [{"n": 3}]
        assert rows(con, "SELECT status FROM runs") == [{"status": "ok"}]


def test_load_proceeds_once_the_other_writer_is_gone(tmp_path, caplog) -> None:
    from costbench.store import loader

    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = _landed_run(tmp_path, emu)
    cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"db_lock_wait_s": 60.0})})
    with _db_held(cfg.paths.db, "rw", seconds=0.5):
        with caplog.at_level("WARNING", logger="costbench.store"):
            loaded = loader.load(cfg, "r1")
    assert loaded.inserted_calls == 3
    assert any("the database is locked by PID" in r.getMessage() and "waiting up to 60s" in r.getMessage()
               for r in caplog.records)


def test_read_only_commands_work_while_another_process_reads(tmp_path) -> None:
    from costbench.store import loader

    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = _landed_run(tmp_path, emu)
    loader.load(cfg, "r1")
    db = str(cfg.paths.db)
    with _db_held(cfg.paths.db, "ro"):  # DuckDB: many readers, or one writer
        query = _cli(["query", "run_history", "--db", db, "--format", "json"])
        quality = _cli(["quality", "r1", "--db", db])
        report = _cli(["report", "--db", db, "--out", str(tmp_path / "site")])
    assert query[0] == 0 and '"run_id": "r1"' in "\n".join(query[1])
    assert quality[0] == 0 and quality[1][0].startswith("run r1: running")  # loaded, not gated yet
    assert report[0] == 0 and (tmp_path / "site" / "index.html").is_file()
