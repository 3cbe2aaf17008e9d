"""The emulator's own controls: its clock, its admin endpoints and its TPM limits (429 + Retry-After)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2

from costbench.emulator import EmulatorConfig, EmulatorServer, Limits


def _chat(model: str, text: str = "x", max_tokens: int = 16) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": max_tokens}


def _post(url: str, path: str, body: dict, key: str = "k-admin", **headers: str) -> httpx2.Response:
    return httpx2.post(f"{url}{path}", json=body, headers={"Authorization": f"Bearer {key}", **headers}, timeout=10)


def _at(entry) -> datetime:
    return datetime.fromisoformat(entry.received_at)


def test_configured_clock_starts_at_clock_start_and_runs_at_clock_speed() -> None:
    start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    with EmulatorServer(EmulatorConfig(catalog_dir=None, clock_start=start, clock_speed=3600.0)) as emu:
        first = _post(emu.url, "/deepseek/chat/completions", _chat("deepseek-chat"))
        second = _post(emu.url, "/deepseek/chat/completions", _chat("deepseek-chat"))
        entries = emu.ledger.entries()
    assert first.status_code == second.status_code == 200
    assert start <= _at(entries[0]) <= _at(entries[1])
    # An hour of emulated time per real second: the server started before the first request, so the clock has
    # moved forward, and it never runs backwards (lower bounds only: how fast a machine is does not matter).
    assert _at(entries[1]) > start


def test_clock_header_wins_over_the_configured_clock_and_bad_headers_fall_back() -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with EmulatorServer(EmulatorConfig(catalog_dir=None, clock_start=start, clock_speed=1.0)) as emu:
        _post(emu.url, "/mistral/v1/chat/completions", _chat("mistral-large-2411"),
              **{"X-Emulator-Clock": "2025-10-01T02:00:00Z"})
        _post(emu.url, "/mistral/v1/chat/completions", _chat("mistral-large-2411"),
              **{"X-Emulator-Clock": "2025-10-01T02:00:00"})  # naive: read as UTC
        _post(emu.url, "/mistral/v1/chat/completions", _chat("mistral-large-2411"),
              **{"X-Emulator-Clock": "not a time"})
        stamps = [_at(e) for e in emu.ledger.entries()]
    assert stamps[0] == stamps[1] == datetime(2025, 10, 1, 2, tzinfo=UTC)
    assert start <= stamps[2] < datetime(2025, 10, 1, tzinfo=UTC)  # the configured clock, not the header


def test_admin_health_ledger_and_unknown_path() -> None:
    with EmulatorServer(EmulatorConfig(catalog_dir=None)) as emu:
        assert httpx2.get(f"{emu.url}/_emulator/health").json() == {"ok": True}
        assert httpx2.get(f"{emu.url}/_emulator/ledger").json() == []
        _post(emu.url, "/openai/v1/chat/completions", _chat("gpt-5-mini"), key="sk-admin-secret",
              **{"X-Costbench-Call-Id": "c-1", "X-Emulator-Clock": "2025-10-01T00:00:00Z"})
        _post(emu.url, "/openai/v1/chat/completions", _chat("gpt-5-mini"), key="bad-key")
        ledger = httpx2.get(f"{emu.url}/_emulator/ledger").json()
        missing = httpx2.get(f"{emu.url}/_emulator/nothing")
    assert [(e["call_id"], e["status"], e["billed"]) for e in ledger] == [("c-1", 200, True), (None, 401, False)]
    assert ledger[0]["received_at"] == "2025-10-01T00:00:00+00:00"
    assert ledger[0]["usage"]["prompt_tokens"] > 0 and ledger[1]["usage"] is None
    assert "sk-admin-secret" not in str(ledger) and len(ledger[0]["key_fingerprint"]) == 12  # keys never stored
    assert missing.status_code == 404 and "unknown admin path" in missing.json()["error"]


def test_admin_config_changes_behaviour_and_rejects_bad_settings() -> None:
    with EmulatorServer(EmulatorConfig(catalog_dir=None)) as emu:
        changed = httpx2.post(f"{emu.url}/_emulator/config", json={"faults": {"server_error_every": 1}})
        failing = _post(emu.url, "/mistral/v1/chat/completions", _chat("mistral-large-2411"))
        bad = httpx2.post(f"{emu.url}/_emulator/config", json={"faults": {"server_error_evry": 1}})
        negative = httpx2.post(f"{emu.url}/_emulator/config", json={"latency_ms": -5})
        httpx2.post(f"{emu.url}/_emulator/config", json={"faults": {}})
        healed = _post(emu.url, "/mistral/v1/chat/completions", _chat("mistral-large-2411"))
    assert changed.status_code == 200 and changed.json()["faults"]["server_error_every"] == 1
    assert failing.status_code >= 500
    assert bad.status_code == 400 and "server_error_evry" in bad.json()["error"]
    assert negative.status_code == 400 and "latency_ms" in negative.json()["error"]
    assert healed.status_code == 200


def test_tpm_limit_answers_429_with_retry_after_until_the_window_slides() -> None:
    # The emulator's TPM estimate of a request: len(text) // 4 + max_tokens. 400 chars + 100 = 200 tokens each;
    # a 500-token limit admits two requests in a 60 s window of emulated time, then says how long to wait.
    limits = {"deepseek-chat": Limits(tpm=500)}
    t0 = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)
    body = _chat("deepseek-chat", "a" * 400, max_tokens=100)
    with EmulatorServer(EmulatorConfig(catalog_dir=None, rate_limits=limits)) as emu:
        def at(seconds: int) -> httpx2.Response:
            return _post(emu.url, "/deepseek/chat/completions", body, **{"X-Emulator-Clock": (t0 + timedelta(seconds=seconds)).isoformat()})

        codes = [at(0).status_code, at(10).status_code]
        refused = at(20)
        other_key = _post(emu.url, "/deepseek/chat/completions", body, key="k-other",
                          **{"X-Emulator-Clock": (t0 + timedelta(seconds=20)).isoformat()})
        after_first_left = at(61)  # the t0 request left the window: 200 + 200 fits again
        entries = emu.ledger.entries()
    assert codes == [200, 200]
    assert refused.status_code == 429 and refused.json()["error"]["type"] == "rate_limit_error"
    assert int(refused.headers["retry-after"]) == 40  # the oldest request leaves the window at t0 + 60
    assert other_key.status_code == 200  # limits are per key
    assert after_first_left.status_code == 200
    assert [e.billed for e in entries] == [True, True, False, True, True]


def test_a_request_larger_than_the_tpm_limit_still_goes_through_alone() -> None:
    # An empty window admits any one request (else it could never be served); the next one waits.
    with EmulatorServer(EmulatorConfig(catalog_dir=None, rate_limits={"deepseek-chat": Limits(tpm=99)})) as emu:
        clock = {"X-Emulator-Clock": "2025-10-01T02:00:00Z"}
        first = _post(emu.url, "/deepseek/chat/completions", _chat("deepseek-chat", "b" * 400, 100), **clock)
        second = _post(emu.url, "/deepseek/chat/completions", _chat("deepseek-chat", "b" * 400, 100), **clock)
    assert (first.status_code, second.status_code) == (200, 429)
    assert int(second.headers["retry-after"]) == 60
