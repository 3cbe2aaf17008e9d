"""SIGKILL the runner mid-run, resume it, and prove with the emulator's ledger that nothing was paid twice
and nothing landed was lost or duplicated in DuckDB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from costbench.run import journal
from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.store.db import opened, rows
from tests.conftest import ROOT
from tests.runner_support import write_config

pytestmark = pytest.mark.slow


def _run_cli(args: list[str], cfg_path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "costbench", *args, "--config", str(cfg_path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _landed_lines(landing) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in landing.glob("*/main*.jsonl") if ".sent." not in p.name)


def _children(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    return [int(x) for x in open(path).read().split()] if os.path.exists(path) else []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return not any(line.startswith("State:") and ("Z" in line or "X" in line) for line in fh)
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("processes", [1, 2])
def test_sigkill_mid_run_then_resume_pays_nothing_twice(tmp_path, processes) -> None:
    with EmulatorServer(EmulatorConfig(seed=5, latency_ms=40, catalog_dir=ROOT / "tasks_catalog")) as emu:
        # 2 models × 9 cases × 4 repeats = 72 calls, concurrency 8 per provider
        cfg = write_config(tmp_path, emu.url, repeats=4, processes=processes)
        proc = _run_cli(["run", "--at", "2025-09-30T02:00:00Z"], cfg.source)
        deadline = time.monotonic() + 60
        while _landed_lines(cfg.paths.landing) < 20 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        runners = _children(proc.pid)  # forked runner processes; with 1 the run plays in the CLI's own process
        assert len(runners) == (processes if processes > 1 else 0), runners
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in runners) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in runners), "a runner process outlived the killed run"
        (run_dir,) = [p for p in cfg.paths.landing.iterdir() if p.is_dir()]
        run_id = run_dir.name
        landed_before = set(journal.landed_records(cfg.paths.landing, run_id))
        assert 20 <= len(landed_before) < 72
        in_doubt = set(journal.sent_intents(cfg.paths.landing, run_id)) - landed_before
        assert len(in_doubt) <= 2 * 2 * 8  # staged + in flight: 2 × concurrency per provider, 2 providers

        resumed = _run_cli(["run", "--resume", run_id], cfg.source)
        out = resumed.communicate(timeout=120)[0].decode()
        assert resumed.returncode == 0, out
        billed = [e.call_id for e in emu.ledger.entries() if e.billed]

    assert len(billed) == len(set(billed)), "a paid request was sent twice"
    landed_after = journal.landed_records(cfg.paths.landing, run_id)
    assert landed_before <= set(landed_after) and len(landed_after) == 72
    assert set(billed) == set(landed_after)
    with opened(cfg.paths.db) as con:
        got = rows(con, "SELECT count(*) AS n, count(DISTINCT call_id) AS d FROM calls WHERE run_id = ?", [run_id])[0]
    assert got == {"n": 72, "d": 72}
