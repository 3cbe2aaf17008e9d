"""The emulator: dialect payloads field by field, official SDKs unchanged, caching rules, limits, faults."""

from __future__ import annotations

import anthropic
import httpx2
import openai
import pytest

from costbench.emulator import EmulatorConfig, EmulatorServer, FaultConfig, Limits
from costbench.emulator.engine import CONTINUE, WRONG_ANSWER
from tests.conftest import ROOT

LONG = " ".join(f"Clause {i}: the supplier shall deliver goods within ten working days of the order." for i in range(120))


@pytest.fixture(scope="module")
def emu():
    with EmulatorServer(EmulatorConfig(seed=1, catalog_dir=ROOT / "tasks_catalog")) as server:
        yield server


_CLIENT = httpx2.Client(timeout=10)
"""One client for the module: a new client per request builds a TLS context each time (slow on a busy machine)."""


def post(emu, path: str, body: dict, key: str = "k-test", **headers: str) -> httpx2.Response:
    return _CLIENT.post(f"{emu.url}{path}", json=body, headers={"Authorization": f"Bearer {key}", **headers})


def test_openai_sdk_chat_and_stream_with_usage(emu) -> None:
    client = openai.OpenAI(base_url=f"{emu.url}/openai/v1", api_key="k-sdk", max_retries=0)
    msgs = [{"role": "user", "content": "What is the capital of Canada? Answer with the city name only."}]
    done = client.chat.completions.create(model="gpt-5-mini", messages=msgs, max_completion_tokens=2000)
    u = done.usage
    assert u.completion_tokens == u.completion_tokens_details.reasoning_tokens + 1 + 0 or u.completion_tokens > 0
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens
    assert 64 <= u.completion_tokens_details.reasoning_tokens <= 512
    stream = client.chat.completions.create(model="gpt-5-mini", messages=msgs, max_completion_tokens=2000,
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == u.prompt_tokens
    assert all(c.usage is None for c in chunks[:-1])
    assert "".join(c.choices[0].delta.content or "" for c in chunks[:-1] if c.choices) == done.choices[0].message.content


def test_anthropic_sdk_cache_fields_and_stream(emu) -> None:
    client = anthropic.Anthropic(base_url=f"{emu.url}/anthropic", api_key="k-sdk2", max_retries=0)
    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    first = client.messages.create(model="claude-sonnet-4", max_tokens=200, system=system,
                                   messages=[{"role": "user", "content": "Summarise clause 3."}])
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.cache_creation.ephemeral_1h_input_tokens == first.usage.cache_creation_input_tokens > 1024
    second = client.messages.create(model="claude-sonnet-4", max_tokens=200, system=system,
                                    messages=[{"role": "user", "content": "Summarise clause 4."}])
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens == 0
    with client.messages.stream(model="claude-sonnet-4", max_tokens=200, system=system,
                                messages=[{"role": "user", "content": "Summarise clause 5."}]) as stream:
        final = stream.get_final_message()
    assert final.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert final.usage.output_tokens > 1


def _turns(emu, path: str, model: str, key: str, body_of, usage_of, turns: int = 4) -> list[tuple[int, int]]:
    """(total prompt tokens, cache read) per turn of a growing conversation."""
    messages = [{"role": "system", "content": LONG}, {"role": "user", "content": "Start the refactoring."}]
    out = []
    for turn in range(turns):
        resp = post(emu, path, body_of(model, messages), key=key)
        assert resp.status_code == 200, resp.text
        out.append(usage_of(resp.json()))
        messages += [{"role": "assistant", "content": f"Done step {turn}."}, {"role": "user", "content": f"Now step {turn + 1}."}]
    return out


def _chat(model, messages, max_tokens=100):
    return {"model": model, "messages": messages, "max_tokens": max_tokens}


@pytest.mark.parametrize(("path", "model", "unit"), [
    ("/openai/v1/chat/completions", "gpt-5-mini", 128),    # OpenAI: 128-token increments once >= 1,024
    ("/deepseek/chat/completions", "deepseek-chat", 64),   # DeepSeek: 64-token units
    ("/mistral/v1/chat/completions", "mistral-large-2411", 1),
])
def test_automatic_cache_reads_grow_turn_by_turn(emu, path, model, unit) -> None:
    def usage(body):
        u = body["usage"]
        return u["prompt_tokens"], u["prompt_tokens_details"]["cached_tokens"]

    seen = _turns(emu, path, model, f"k-{model}", _chat, usage)
    assert seen[0][1] == 0
    for (prev_prompt, _), (_, read) in zip(seen, seen[1:], strict=False):
        assert read == prev_prompt // unit * unit
    assert [r for _, r in seen] == sorted(r for _, r in seen)


def test_gemini_implicit_cache_and_thoughts(emu) -> None:
    def body(model, messages):
        return {"systemInstruction": {"parts": [{"text": messages[0]["content"]}]},
                "contents": [{"role": "model" if m["role"] == "assistant" else "user", "parts": [{"text": m["content"]}]}
                             for m in messages[1:]]}

    def usage(b):
        u = b["usageMetadata"]
        assert u["totalTokenCount"] == u["promptTokenCount"] + u["candidatesTokenCount"] + u.get("thoughtsTokenCount", 0)
        return u["promptTokenCount"], u.get("cachedContentTokenCount", 0)

    seen = _turns(emu, "/google/v1beta/models/gemini-2.5-flash:generateContent", "gemini-2.5-flash", "k-g", body, usage)
    assert [r for _, r in seen[1:]] == [p for p, _ in seen[:-1]]


def test_anthropic_explicit_cache_grows_with_breakpoint_on_last_message(emu) -> None:
    def body(model, messages):
        return {"model": model, "max_tokens": 100,
                "system": [{"type": "text", "text": messages[0]["content"], "cache_control": {"type": "ephemeral"}}],
                "messages": [{"role": m["role"], "content": [{"type": "text", "text": m["content"],
                              **({"cache_control": {"type": "ephemeral"}} if i == len(messages) - 2 else {})}]}
                             for i, m in enumerate(messages[1:])]}

    def usage(b):
        u = b["usage"]
        assert u["cache_creation_input_tokens"] == u["cache_creation"]["ephemeral_5m_input_tokens"]
        return u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"], u["cache_read_input_tokens"]

    seen = _turns(emu, "/anthropic/v1/messages", "claude-sonnet-4", "k-a", body, usage)
    assert [r for _, r in seen[1:]] == [p for p, _ in seen[:-1]]


def test_below_minimum_prefix_nothing_is_cached(emu) -> None:
    msgs = [{"role": "user", "content": "short prompt " * 20}]
    for _ in range(2):
        u = post(emu, "/openai/v1/chat/completions", _chat("gpt-5-mini", msgs), key="k-short").json()["usage"]
    assert u["prompt_tokens"] < 1024 and u["prompt_tokens_details"]["cached_tokens"] == 0


def test_xai_and_openrouter_and_responses_shapes(emu) -> None:
    msgs = [{"role": "user", "content": "What is the capital of Australia? Answer with the city name only."}]
    x = post(emu, "/xai/v1/chat/completions", _chat("grok-4", msgs, 2000)).json()["usage"]
    r = x["completion_tokens_details"]["reasoning_tokens"]
    capped = post(emu, "/xai/v1/chat/completions", _chat("grok-4", msgs, 50)).json()["usage"]
    assert capped["completion_tokens"] + capped["completion_tokens_details"]["reasoning_tokens"] <= 50
    assert r >= 150 and x["total_tokens"] == x["prompt_tokens"] + x["completion_tokens"] + r
    assert x["cost_in_usd_ticks"] > 0
    o = post(emu, "/openrouter/api/v1/chat/completions", _chat("anthropic/claude-sonnet-4", msgs)).json()["usage"]
    assert o["cost"] > 0 and o["total_tokens"] == o["prompt_tokens"] + o["completion_tokens"]
    resp = post(emu, "/openai/v1/responses", {"model": "gpt-5-mini", "input": msgs, "max_output_tokens": 2000}).json()
    assert resp["usage"]["total_tokens"] == resp["usage"]["input_tokens"] + resp["usage"]["output_tokens"]
    assert resp["output"][0]["content"][0]["type"] == "output_text"


def test_answers_are_deterministic_and_follow_success_rates(emu) -> None:
    from costbench.catalog.tasks import load_catalog

    catalog = load_catalog(ROOT / "tasks_catalog")
    right = total = 0
    for task in catalog:
        for case in task.cases:
            for repeat in range(4):
                body = _chat("mistral-large-2411", task.render(case))
                a = post(emu, "/mistral/v1/chat/completions", body, **{"X-Costbench-Call-Id": f"c{repeat}"}).json()
                text = a["choices"][0]["message"]["content"]
                if repeat == 0:  # same call id → same answer (one replay per case keeps the test fast)
                    b = post(emu, "/mistral/v1/chat/completions", body, **{"X-Costbench-Call-Id": "c0"}).json()
                    assert text == b["choices"][0]["message"]["content"]
                if task.turns:  # first request of a multi-turn task: the turn-0 step reference, not graded
                    assert text == (case.turn_references[0] if case.turn_references else CONTINUE)
                    continue
                assert text in (case.reference_text(), WRONG_ANSWER)
                right += text == case.reference_text()
                total += 1
    assert 0.45 <= right / total <= 0.85  # persona success ~0.66


def test_bad_keys_unknown_models_and_ledger(emu) -> None:
    msgs = [{"role": "user", "content": "hi"}]
    assert post(emu, "/deepseek/chat/completions", _chat("deepseek-chat", msgs), key="bad-key").status_code == 401
    missing = httpx2.post(f"{emu.url}/deepseek/chat/completions", json=_chat("deepseek-chat", msgs))
    assert missing.status_code == 401
    unknown = post(emu, "/deepseek/chat/completions", _chat("deepseek-chatt", msgs))
    assert unknown.status_code == 404 and "Did you mean: deepseek-chat" in unknown.text
    entries = emu.ledger.entries()[-3:]
    assert [e.status for e in entries] == [401, 401, 404] and not any(e.billed for e in entries)
    assert all("bad-key" not in str(e.to_dict()) for e in entries)


def test_idempotency_key_replays_without_billing_again(emu) -> None:
    msgs = [{"role": "user", "content": "What is the capital of Switzerland? Answer with the city name only."}]
    first = post(emu, "/deepseek/chat/completions", _chat("deepseek-chat", msgs), **{"Idempotency-Key": "idem-1",
                 "X-Costbench-Call-Id": "idem-1"})
    again = post(emu, "/deepseek/chat/completions", _chat("deepseek-chat", msgs), **{"Idempotency-Key": "idem-1",
                 "X-Costbench-Call-Id": "idem-1"})
    assert first.content == again.content
    mine = [e for e in emu.ledger.entries() if e.call_id == "idem-1"]
    assert [(e.billed, e.replay) for e in mine] == [(True, False), (False, True)]


def test_clock_header_drives_cache_ttl(emu) -> None:
    msgs = [{"role": "system", "content": LONG}, {"role": "user", "content": "q"}]
    def cached(clock: str) -> int:
        body = post(emu, "/openai/v1/chat/completions", _chat("gpt-5-mini", msgs), key="k-clock",
                    **{"X-Emulator-Clock": clock}).json()
        return body["usage"]["prompt_tokens_details"]["cached_tokens"]

    assert cached("2025-09-29T02:00:00Z") == 0
    assert cached("2025-09-29T02:04:00Z") > 0    # within the 5-minute TTL
    assert cached("2025-09-29T02:20:00Z") == 0   # expired


def test_rate_limit_429_with_retry_after() -> None:
    cfg = EmulatorConfig(catalog_dir=None, rate_limits={"deepseek-chat": Limits(rpm=3)})
    with EmulatorServer(cfg) as server:
        codes = [post(server, "/deepseek/chat/completions", _chat("deepseek-chat", [{"role": "user", "content": "x"}]),
                      **{"X-Emulator-Clock": "2025-01-01T00:00:10Z"}) for _ in range(4)]
        assert [c.status_code for c in codes] == [200, 200, 200, 429]
        assert int(codes[-1].headers["retry-after"]) == 60
        later = post(server, "/deepseek/chat/completions", _chat("deepseek-chat", [{"role": "user", "content": "x"}]),
                     **{"X-Emulator-Clock": "2025-01-01T00:01:11Z"})
        assert later.status_code == 200


@pytest.mark.parametrize(("faults", "check"), [
    (FaultConfig(server_error_every=1), lambda r: r.status_code == 503),
    (FaultConfig(malformed_every=1), lambda r: r.status_code == 200 and r.text.endswith('"message": ')),
    (FaultConfig(missing_usage_every=1), lambda r: "usage" not in r.json()),
])
def test_faults(faults, check) -> None:
    with EmulatorServer(EmulatorConfig(catalog_dir=None, faults=faults)) as server:
        resp = post(server, "/openai/v1/chat/completions", _chat("gpt-5-mini", [{"role": "user", "content": "x"}]))
        assert check(resp)


def test_truncated_stream_has_no_usage_chunk() -> None:
    with EmulatorServer(EmulatorConfig(catalog_dir=None, faults=FaultConfig(truncated_stream_every=1))) as server:
        body = _chat("gpt-5-mini", [{"role": "user", "content": "x"}]) | {"stream": True,
                                                                          "stream_options": {"include_usage": True}}
        text = post(server, "/openai/v1/chat/completions", body).text
    assert '"usage"' not in text and "[DONE]" not in text


def test_running_emulator_fixture_serves_and_stops() -> None:
    from tests.emulator.fixtures import running_emulator

    with running_emulator(seed=3) as emu:
        assert httpx2.get(f"{emu.url}/_emulator/health").status_code == 200
        url = emu.url
    with pytest.raises(httpx2.TransportError):
        httpx2.get(f"{url}/_emulator/health", timeout=1)


def test_set_faults_turns_errors_on_and_off(emu) -> None:
    msgs = [{"role": "user", "content": "hi"}]
    emu.set_faults(FaultConfig(server_error_every=1))
    assert post(emu, "/mistral/v1/chat/completions", _chat("mistral-large-2411", msgs)).status_code >= 500
    emu.set_faults()
    assert post(emu, "/mistral/v1/chat/completions", _chat("mistral-large-2411", msgs)).status_code == 200


def test_deepseek_mistral_gemini_usage_fields_are_consistent(emu) -> None:
    msgs = [{"role": "system", "content": LONG}, {"role": "user", "content": "Which clause mentions delivery?"}]
    for _ in range(2):  # the second request reads the cached prefix
        d = post(emu, "/deepseek/chat/completions", _chat("deepseek-chat", msgs), key="k-fields").json()["usage"]
    assert set(d) == {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
                      "prompt_cache_hit_tokens", "prompt_cache_miss_tokens"}
    assert d["prompt_cache_hit_tokens"] + d["prompt_cache_miss_tokens"] == d["prompt_tokens"]
    assert d["prompt_tokens_details"]["cached_tokens"] == d["prompt_cache_hit_tokens"] > 0
    assert d["prompt_cache_hit_tokens"] % 64 == 0 and d["total_tokens"] == d["prompt_tokens"] + d["completion_tokens"]
    m = post(emu, "/mistral/v1/chat/completions", _chat("mistral-large-2411", msgs), key="k-fields").json()["usage"]
    assert set(m) == {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details"}
    assert m["total_tokens"] == m["prompt_tokens"] + m["completion_tokens"]
    body = {"systemInstruction": {"parts": [{"text": LONG}]}, "contents": [{"role": "user", "parts": [{"text": "q"}]}]}
    g = post(emu, "/google/v1beta/models/gemini-2.5-flash:generateContent", body, key="k-g2").json()["usageMetadata"]
    assert g["promptTokensDetails"] == [{"modality": "TEXT", "tokenCount": g["promptTokenCount"]}]
    assert g["totalTokenCount"] == g["promptTokenCount"] + g["candidatesTokenCount"] + g.get("thoughtsTokenCount", 0)
    assert 40 <= g["thoughtsTokenCount"] <= 300
