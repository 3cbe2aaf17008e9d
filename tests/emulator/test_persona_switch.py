"""The DeepSeek persona switches model on 2025-09-29 (V3.1-Terminus → V3.2-Exp): longer answers, finer cache
hits; before 2026-07-24 the name moves on to deepseek-v4-flash (back to the base habits)."""

from __future__ import annotations

import httpx2
import pytest

from costbench.emulator import EmulatorConfig, EmulatorServer

SYSTEM = " ".join(f"Rule {i}: answer briefly and cite the clause you used." for i in range(40))


@pytest.fixture(scope="module")
def emu():
    with EmulatorServer(EmulatorConfig(seed=3, catalog_dir=None)) as server:
        yield server


def _usage(emu, key: str, clock: str, question: str = "hello") -> dict:
    body = {"model": "deepseek-chat", "max_tokens": 500,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"{question} {key}"}]}
    response = httpx2.post(f"{emu.url}/deepseek/chat/completions", json=body, timeout=10,
                           headers={"Authorization": f"Bearer {key}", "X-Emulator-Clock": clock})
    assert response.status_code == 200, response.text
    return response.json()["usage"]


def test_answers_grow_after_the_switch(emu) -> None:
    before = _usage(emu, "k-before", "2025-09-28T02:00:00Z")["completion_tokens"]
    after = _usage(emu, "k-after", "2025-09-29T02:00:00Z")["completion_tokens"]
    assert before > 0
    assert abs(after - before * 1.30) <= 1   # personas.yml: verbosity 1.0 → 1.30
    assert _usage(emu, "k-v4", "2026-08-01T02:00:00Z")["completion_tokens"] == before


def test_cache_hits_lose_the_64_token_flooring_while_v3_2_is_served(emu) -> None:
    hits = {}
    for key, day in (("k-c1", "2025-09-28"), ("k-c2", "2025-09-29"), ("k-c3", "2026-08-01")):
        _usage(emu, key, f"{day}T02:00:00Z")
        hits[day] = _usage(emu, key, f"{day}T02:01:00Z", "another question")
    old, v32, v4 = hits["2025-09-28"], hits["2025-09-29"], hits["2026-08-01"]
    assert old["prompt_cache_hit_tokens"] > 0 and old["prompt_cache_hit_tokens"] % 64 == 0
    assert v32["prompt_tokens"] == old["prompt_tokens"]
    assert old["prompt_cache_hit_tokens"] < v32["prompt_cache_hit_tokens"] < v32["prompt_tokens"]
    assert v4["prompt_cache_hit_tokens"] == old["prompt_cache_hit_tokens"]   # deepseek-v4-flash: base rules again


def test_the_latest_switch_at_or_before_the_time_applies() -> None:
    from datetime import UTC, datetime

    from costbench.emulator.config import Persona

    persona = Persona.model_validate({
        "provider": "p", "cache": {"mode": "automatic", "min_tokens": 64}, "verbosity": 1.0, "success": {"default": 0.5},
        "switches": [{"at": "2025-01-01T00:00:00Z", "serves": "b", "verbosity": 2.0},
                     {"at": "2025-06-01T00:00:00Z", "serves": "c", "success": {"default": 0.9}}]})
    assert persona.at(datetime(2024, 12, 31, 23, 59, tzinfo=UTC)).verbosity == 1.0
    assert persona.at(datetime(2025, 1, 1, tzinfo=UTC)).verbosity == 2.0
    late = persona.at(datetime(2025, 7, 1, tzinfo=UTC))
    assert late.verbosity == 1.0 and late.success_rate("math") == 0.9   # only the latest switch's fields apply
