"""``costbench usage normalize``: one response body (or bare usage object) in, normalized usage out."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

import click

from costbench.errors import UsageError


@click.group("usage")
def usage_group() -> None:
    """Provider usage payloads."""


def _normalize(dialect: str, data: Any) -> dict[str, Any]:
    from costbench.providers import get_adapter

    adapter = get_adapter(dialect)
    if isinstance(data, list):
        return adapter.parse_stream(data).usage.to_dict()
    if not isinstance(data, dict):
        raise UsageError("stdin must hold a JSON object (a response body or a usage object) or a list of stream events")
    marker = ("usage", "usageMetadata", "choices", "candidates", "content", "output")
    if any(k in data for k in marker):
        return adapter.parse(data).usage.to_dict()
    return adapter.normalize_usage(data).to_dict()


@usage_group.command("normalize")
@click.option("--dialect", required=True, help="openai_chat, openai_responses, anthropic, gemini, deepseek, mistral, xai, openrouter")
def normalize(dialect: str) -> None:
    """Read a response body, a bare usage object or a JSON list of stream events on stdin; print normalized usage.

    Example: costbench usage normalize --dialect deepseek < response.json
    """
    text = sys.stdin.read()
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise UsageError(f"stdin is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    try:
        result = _normalize(dialect, data)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise UsageError(f"cannot read this {dialect} payload: {type(exc).__name__}: {exc}") from None
    click.echo(json.dumps(result))


COMMANDS = [usage_group]
