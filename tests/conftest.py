"""Shared fixtures: isolated env and paths, the --live switch, offline settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# No internet here: keep every library that might phone home quiet, before anything imports them.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_UI_ENABLED", "false")

_KEY_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "DEEPSEEK_API_KEY",
    "MISTRAL_API_KEY",
    "XAI_API_KEY",
    "OPENROUTER_API_KEY",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live", action="store_true", help="also run tests against real provider APIs")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live"):
        return
    skip = pytest.mark.skip(reason="live provider test: run with --live and the provider's API key set")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def live_key() -> object:
    """``live_key("OPENAI_API_KEY")`` returns the key or skips naming the missing variable."""

    def get(var: str) -> str:
        value = os.environ.get(var)
        if not value:
            pytest.skip(f"set {var} to run this live test")
        return value

    return get


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test runs with no provider keys unless --live is given."""
    if not request.config.getoption("--live"):
        for var in _KEY_VARS:
            monkeypatch.delenv(var, raising=False)
    yield
