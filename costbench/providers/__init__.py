"""Provider adapters, one module per dialect, registered by name and imported on first use."""

from __future__ import annotations

import importlib

from costbench.errors import ConfigError, did_you_mean
from costbench.providers.base import Adapter

_REGISTRY: dict[str, str] = {
    "openai_chat": "costbench.providers.openai_compatible:OpenAIChat",
    "openai_responses": "costbench.providers.openai_responses:OpenAIResponses",
    "anthropic": "costbench.providers.anthropic:Anthropic",
    "gemini": "costbench.providers.gemini:Gemini",
    "deepseek": "costbench.providers.openai_compatible:DeepSeek",
    "mistral": "costbench.providers.openai_compatible:Mistral",
    "xai": "costbench.providers.openai_compatible:XAI",
    "openrouter": "costbench.providers.openai_compatible:OpenRouter",
}
DIALECTS = tuple(_REGISTRY)
_cache: dict[str, Adapter] = {}


def register(dialect: str, target: str) -> None:
    """Register an adapter class (``"module:Class"``) under a dialect name; plugins use this too."""
    _REGISTRY[dialect] = target


def get_adapter(dialect: str) -> Adapter:
    """The adapter of ``dialect`` (adapters are stateless, so one instance is shared)."""
    if dialect not in _cache:
        try:
            target = _REGISTRY[dialect]
        except KeyError:
            raise ConfigError(f"Unknown dialect {dialect!r}.{did_you_mean(dialect, _REGISTRY)}") from None
        module_name, class_name = target.split(":")
        _cache[dialect] = getattr(importlib.import_module(module_name), class_name)()
    return _cache[dialect]
