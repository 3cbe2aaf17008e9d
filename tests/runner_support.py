"""Helpers for tests that run the real runner against the in-process emulator."""

from __future__ import annotations

from pathlib import Path

from costbench.config import Config, load_config
from tests.conftest import ROOT

TASKS = ["capital_cities", "math_word_problems", "sentiment_classification"]


def write_config(tmp_path: Path, emulator_url: str | None, *, models: tuple[str, ...] = ("deepseek/deepseek-chat",
                 "mistral/mistral-large-2411"), tasks: list[str] = TASKS, repeats: int = 1, per_run_usd: str = "5.00",
                 max_retries: int = 4, extra: str = "", base_urls: dict[str, str] | None = None,
                 processes: int = 1, concurrency: int = 8, stream: bool = False) -> Config:
    """A config in ``tmp_path`` whose data lives there and whose providers are the given emulator."""
    base_urls = base_urls or {}
    dialects = {"deepseek": "deepseek", "mistral": "mistral", "openai": "openai_chat", "anthropic": "anthropic",
                "google": "gemini", "xai": "xai", "openrouter": "openrouter"}
    providers = sorted({m.split("/", 1)[0] for m in models})
    text = [
        "[paths]", f'db = "{tmp_path / "cb.duckdb"}"', f'landing = "{tmp_path / "landing"}"',
        f'site = "{tmp_path / "site"}"', f'catalog = "{ROOT / "tasks_catalog"}"',
        "[run]", f"repeats = {repeats}", f"max_retries = {max_retries}", f"tasks = {tasks!r}".replace("'", '"'),
        "timeout_s = 10", f"processes = {processes}", "cases_per_task = 3",
        "[budget]", f'per_run_usd = "{per_run_usd}"', 'per_day_usd = "100.00"',
        "[emulator]", *( [f'url = "{emulator_url}"'] if emulator_url else [] ),
    ]
    for p in providers:
        text += [f"[providers.{p}]", f'dialect = "{dialects[p]}"', f"concurrency = {concurrency}",
                 f"stream = {'true' if stream else 'false'}"]
        if p in base_urls:
            text.append(f'base_url = "{base_urls[p]}"')
    for m in models:
        provider, model = m.split("/", 1)
        text += ["[[models]]", f'provider = "{provider}"', f'model = "{model}"']
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "costbench.toml"
    path.write_text("\n".join(text) + "\n" + extra)
    return load_config(path)
