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
        get_adapter("openai_chat").normalize_usage({"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 20}})


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
