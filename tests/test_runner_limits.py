"""How the runner reacts to a provider's limits: 429 + Retry-After, timeouts, and its own configured RPM.

Every check reads the emulator's ledger (what the provider saw, on the clock the runner sends it); time
is only ever bounded from below (a slow machine cannot make these fail; speed is measured in bench/).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from costbench.config import load_config
from costbench.emulator import EmulatorConfig, EmulatorServer, Limits
from costbench.run import journal
from costbench.run.runner import run_catalog
from tests.conftest import ROOT
from tests.runner_support import write_config

T0 = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)
CASES = 3  # capital_cities


def _at(entry) -> datetime:
    return datetime.fromisoformat(entry.received_at)


def test_429_retry_after_is_honoured_then_the_call_lands_once(tmp_path) -> None:
    limits = {"mistral-large-2411": Limits(rpm=CASES)}
    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog", rate_limits=limits)) as emu:
        # Another client with the runner's key fills the minute at T0; the run starts 57 s later, so the
        # provider answers 429 with Retry-After (about 3 s) until T0 + 60 s.
        body = {"model": "mistral-large-2411", "messages": [{"role": "user", "content": "x"}], "max_tokens": 4}
        for _ in range(CASES):
            httpx2.post(f"{emu.url}/mistral/v1/chat/completions", json=body, timeout=10,
                        headers={"Authorization": "Bearer emulator-key-mistral", "X-Emulator-Clock": T0.isoformat()})
        emu.ledger.clear()
        cfg = write_config(tmp_path, emu.url, models=("mistral/mistral-large-2411",), tasks=["capital_cities"])
        result = run_catalog(cfg, run_id="r", run_at=T0 + timedelta(seconds=57))
        entries = emu.ledger.entries()
    assert (result.sent_calls, result.failed_calls) == (CASES, 0)
    refused = [e for e in entries if e.status == 429]
    assert refused, "the run met no 429: the window should still have been full"
    for first in refused:  # every retry came after the provider's Retry-After (on the clock it was sent)
        later = [e for e in entries if e.call_id == first.call_id and _at(e) > _at(first)]
        assert later and _at(later[0]) >= datetime.fromisoformat(first.received_at) + timedelta(seconds=1)
        assert _at(later[0]) >= T0 + timedelta(seconds=60) or later[0].status == 429
    billed = [e.call_id for e in entries if e.billed]
    assert len(billed) == len(set(billed)) == CASES  # refused attempts cost nothing; each call paid once
    landed = journal.landed_records(cfg.paths.landing, "r")
    assert {cid: rec["attempts"] > 1 for cid, rec in landed.items()} == {
        cid: any(e.call_id == cid for e in refused) for cid in landed}


def _timed_out_run(tmp_path):
    """Every 2nd request answered after 2.5 s; the runner gives up after 1 s and sends the call again."""
    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog")) as emu:
        emu.set_faults(slow_every=2, slow_ms=2500)
        cfg = write_config(tmp_path, emu.url, models=("mistral/mistral-large-2411",), tasks=["capital_cities"],
                           concurrency=1)
        cfg.source.write_text(cfg.source.read_text().replace("timeout_s = 10", "timeout_s = 1"))
        result = run_catalog(load_config(cfg.source), run_id="r", run_at=T0)
        emu.stop()  # let the abandoned slow requests finish: they are in the ledger too
        entries = emu.ledger.entries()
    landed = journal.landed_records(cfg.paths.landing, "r")
    return result, landed, {cid: [e for e in entries if e.call_id == cid] for cid in landed}


def test_timeouts_are_retried_with_the_same_body(tmp_path) -> None:
    result, landed, by_call = _timed_out_run(tmp_path)
    assert (result.sent_calls, result.failed_calls) == (CASES, 0)
    assert len(landed) == CASES and max(r["attempts"] for r in landed.values()) > 1
    assert all(len({e.request_sha256 for e in sent}) == 1 for sent in by_call.values())  # the same body resent
    assert any(len(sent) > 1 for sent in by_call.values())


def test_a_timed_out_call_is_paid_once(tmp_path) -> None:
    _, _, by_call = _timed_out_run(tmp_path)
    assert all(sum(e.billed for e in sent) == 1 for sent in by_call.values())


def test_configured_rpm_spaces_the_requests(tmp_path) -> None:
    # rpm = 120: one request every 0.5 s, on the runner's own clock (the X-Emulator-Clock it sends).
    with EmulatorServer(EmulatorConfig(seed=2, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = write_config(tmp_path, emu.url, models=("mistral/mistral-large-2411",), tasks=["capital_cities"])
        cfg.source.write_text(cfg.source.read_text().replace('dialect = "mistral"', 'dialect = "mistral"\nrpm = 120'))
        result = run_catalog(load_config(cfg.source), run_id="r", run_at=T0)
        stamps = sorted(_at(e) for e in emu.ledger.entries())
    assert result.sent_calls == CASES and len(stamps) == CASES
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False)]
    assert all(g >= 0.49 for g in gaps), gaps  # never a burst, whatever the machine's speed


def test_provider_concurrency_bounds_the_connections_the_server_sees(tmp_path) -> None:
    # concurrency = 2: the emulator (uvicorn) never holds more than 2 open connections or 2 requests in flight.
    import threading

    with EmulatorServer(EmulatorConfig(seed=2, latency_ms=150, catalog_dir=ROOT / "tasks_catalog")) as emu:
        state = emu._server.server_state  # the server's own bookkeeping of connections and request tasks
        seen: list[tuple[int, int]] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                seen.append((len(state.connections), len(state.tasks)))
                stop.wait(0.005)

        sampler = threading.Thread(target=sample)
        cfg = write_config(tmp_path, emu.url, models=("mistral/mistral-large-2411",), concurrency=2)
        sampler.start()
        try:
            result = run_catalog(cfg, run_id="r", run_at=T0)
        finally:
            stop.set()
            sampler.join()
        served = state.total_requests
    assert result.sent_calls == 9 and result.failed_calls == 0 and served == 9
    assert max(c for c, _ in seen) <= 2 and max(t for _, t in seen) <= 2
    assert max(c for c, _ in seen) >= 1  # the sampler did watch the run
