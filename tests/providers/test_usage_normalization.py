"""Usage normalization against real response bodies (each cited in tests/data/provider_bodies.json)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from costbench.cli import main
from costbench.errors import ConfigError, UsageError
from costbench.providers import DIALECTS, get_adapter
from tests.conftest import ROOT

BODIES = json.loads((ROOT / "tests/data/provider_bodies.json").read_text(), parse_float=Decimal)


@pytest.mark.parametrize("case", BODIES, ids=[c["name"] for c in BODIES])
def test_real_body_normalizes_exactly(case: dict) -> None:
    adapter = get_adapter(case["dialect"])
    completion = adapter.parse_stream(case["body"]) if case.get("stream") else adapter.parse(case["body"])
    assert completion.usage.to_dict() == case["expected"]
    if "expected_text" in case:
        assert completion.text == case["expected_text"]


def test_every_dialect_has_real_bodies() -> None:
    assert {c["dialect"] for c in BODIES} == set(DIALECTS)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_missing_usage_is_an_error_never_zero(dialect: str) -> None:
    with pytest.raises(UsageError):
        get_adapter(dialect).parse({"choices": [{"message": {"content": "x"}}], "content": [], "candidates": []})


def test_cached_tokens_above_prompt_is_rejected() -> None:
    with pytest.raises(UsageError, match="negative input_uncached_tokens"):
        get_adapter("openai_chat").normalize_usage({"prompt_tokens": 10, "completion_tokens": 1,
                                                                    "prompt_tokens_details": {"cached_tokens": 20}})


def test_unknown_dialect_suggests() -> None:
    with pytest.raises(ConfigError, match="Did you mean: anthropic"):
        get_adapter("antropic")


@pytest.mark.parametrize("dialect", ["openai_chat", "anthropic", "gemini", "openai_responses"])
def test_requests_have_no_secret_and_the_right_path(dialect: str) -> None:
    adapter = get_adapter(dialect)
    req = adapter.build_request("m", [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], 32,
                                cache_breakpoints=[0])
    assert "key" not in json.dumps(req.json).lower() and not req.headers
    assert req.path in {"chat/completions", "messages", "models/m:generateContent", "responses"}


def test_anthropic_breakpoint_marks_the_block() -> None:
    req = get_adapter("anthropic").build_request("m", [{"role": "system", "content": "long doc"},
                                                       {"role": "user", "content": "q"}], 10, cache_breakpoints=[0])
    assert req.json["system"] == [{"type": "text", "text": "long doc", "cache_control": {"type": "ephemeral"}}]
    # the newest message is marked too, so a growing conversation caches each turn for the next
    assert req.json["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_cli_normalize_reads_stdin() -> None:
    body = next(c for c in BODIES if c["name"] == "deepseek-cache-hit")
    result = CliRunner().invoke(main, ["usage", "normalize", "--dialect", "deepseek"], input=json.dumps(body["body"]))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == body["expected"]
    bare = CliRunner().invoke(main, ["usage", "normalize", "--dialect", "anthropic"],
                              input='{"input_tokens": 5, "output_tokens": 7, "cache_read_input_tokens": 2}')
    assert json.loads(bare.output)["cache_read_tokens"] == 2


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["--dialect", "openia_chat"], "{}", "Unknown dialect 'openia_chat'. Did you mean: openai_chat?"),
    (["--dialect", "openai_chat"], "{not json", "stdin is not JSON"),
])
def test_cli_normalize_errors_are_one_line(args: list[str], stdin: str, message: str) -> None:
    result = CliRunner().invoke(main, ["usage", "normalize", *args], input=stdin)
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("dialect", "usage", "found"), [
    ("openai_chat", {"input_tokens": 10, "output_tokens": 2}, "input_tokens, output_tokens"),  # a Responses shape
    ("openrouter", {"tokens": 12, "cost": 0.1}, "cost, tokens"),
    ("deepseek", {"total_tokens": 5}, "total_tokens"),
    ("anthropic", {"prompt_tokens": 5, "completion_tokens": 1}, "completion_tokens, prompt_tokens"),
    ("gemini", {"totalTokenCount": 9}, "totalTokenCount"),
    ("openai_responses", {"prompt_tokens": "7", "completion_tokens": 1}, "completion_tokens, prompt_tokens"),
])
def test_unreadable_usage_is_an_error_naming_what_was_found(dialect: str, usage: dict, found: str) -> None:
    with pytest.raises(UsageError, match=f"unreadable usage.*found: {found}"):
        get_adapter(dialect).normalize_usage(usage)


def test_cli_normalize_unreadable_usage_exits_1_with_the_keys_found() -> None:
    body = {"choices": [{"message": {"content": "x"}}], "usage": {"tokens_in": 3, "tokens_out": 4}}
    result = CliRunner().invoke(main, ["usage", "normalize", "--dialect", "openrouter"], input=json.dumps(body))
    assert result.exit_code == 1
    assert "found: tokens_in, tokens_out" in result.output and len(result.output.strip().splitlines()) == 1


def test_xai_ticks_are_the_provider_reported_cost() -> None:
    # 232,856,000 ticks / 1e10 ticks per USD (docs.x.ai cost-tracking) = $0.0232856, written out by hand
    usage = get_adapter("xai").normalize_usage({"prompt_tokens": 1, "completion_tokens": 1, "cost_in_usd_ticks": 232856000})
    assert usage.provider_reported_cost == Decimal("0.0232856")
    with pytest.raises(UsageError, match="cost_in_usd_ticks"):
        get_adapter("xai").normalize_usage({"prompt_tokens": 1, "completion_tokens": 1, "cost_in_usd_ticks": "12"})


def test_openrouter_byok_cost_is_not_a_provider_figure() -> None:
    usage = get_adapter("openrouter").normalize_usage({"prompt_tokens": 5, "completion_tokens": 1, "cost": 0, "is_byok": True})
    assert usage.provider_reported_cost is None


@pytest.mark.parametrize(("model", "marked"), [("anthropic/claude-sonnet-4", True), ("google/gemini-2.5-flash", True),
                                               ("openai/gpt-5-mini", False)])
def test_openrouter_sends_cache_control_where_caching_is_explicit(model: str, marked: bool) -> None:
    msgs = [{"role": "system", "content": "long doc"}, {"role": "user", "content": "q1"}, {"role": "user", "content": "q2"}]
    req = get_adapter("openrouter").build_request(model, msgs, 10, cache_breakpoints=[0])
    blocks = [m["content"] for m in req.json["messages"]]
    if marked:  # the fixed context and the newest message, as the direct Anthropic adapter marks them
        assert blocks[0] == [{"type": "text", "text": "long doc", "cache_control": {"type": "ephemeral"}}]
        assert blocks[1] == "q1" and blocks[2][0]["cache_control"] == {"type": "ephemeral"}
    else:
        assert blocks == ["long doc", "q1", "q2"]
    assert get_adapter("openrouter").build_request(model, msgs, 10).json["messages"] == msgs
