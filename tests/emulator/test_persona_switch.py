"""The DeepSeek persona switches model on 2025-09-29 (V3.1-Terminus → V3.2-Exp): longer answers, finer cache hits."""

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


def test_cache_hits_lose_the_64_token_flooring_after_the_switch(emu) -> None:
    _usage(emu, "k-c1", "2025-09-28T02:00:00Z")
    old = _usage(emu, "k-c1", "2025-09-28T02:01:00Z", "another question")
    _usage(emu, "k-c2", "2025-09-29T02:00:00Z")
    new = _usage(emu, "k-c2", "2025-09-29T02:01:00Z", "another question")
    assert old["prompt_cache_hit_tokens"] % 64 == 0 and old["prompt_cache_hit_tokens"] > 0
    assert new["prompt_tokens"] == old["prompt_tokens"]
    assert old["prompt_cache_hit_tokens"] < new["prompt_cache_hit_tokens"] < new["prompt_tokens"]
