"""Map an export's model id to a price-book model: dated ids, OpenRouter permaslugs, provider prefixes.

Examples: ``claude-sonnet-4-20250514`` → anthropic/claude-sonnet-4; OpenRouter's permaslug
``anthropic/claude-4-sonnet-20250522`` → openrouter/anthropic/claude-sonnet-4 (permaslugs put the version
before the family and end with the release date; https://openrouter.ai/docs/api/api-reference/generations/get-generation).
A model that maps to nothing stays unmapped (NULL), and ``bill show`` lists it: it is never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PROVIDER_ALIASES = {"gemini": "google", "vertex_ai": "google", "vertex": "google", "x-ai": "xai", "grok": "xai",
                    "claude": "anthropic", "azure": "openai", "text-completion-openai": "openai"}
_DATE_SUFFIX = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2}|\d{4})$")
_PERMASLUG_CLAUDE = re.compile(r"^claude-(\d+(?:[.-]\d+)?)-(sonnet|opus|haiku)(.*)$")


def provider_name(hint: str | None) -> str | None:
    """The price-book provider for a source's provider label (``DeepSeek`` → deepseek)."""
    if not hint:
        return None
    low = hint.strip().lower()
    return PROVIDER_ALIASES.get(low, low)


def _variants(model: str) -> list[str]:
    base = model.strip().lower().split(":", 1)[0]  # OpenRouter variants: ":free", ":thinking"...
    undated = _DATE_SUFFIX.sub("", base)
    out = [base, undated]
    for name in (base, undated):
        m = _PERMASLUG_CLAUDE.match(name)
        if m:
            out.append(f"claude-{m.group(2)}-{m.group(1)}{m.group(3)}")
    out += [re.sub(r"(\d)\.(\d)", r"\1-\2", v) for v in out] + [re.sub(r"(\d)-(\d)\b", r"\1.\2", v) for v in out]
    return list(dict.fromkeys(out))


def _candidates(provider: str | None, source_model: str) -> list[tuple[str | None, str]]:
    model = source_model.strip()
    prefix, _, rest = model.partition("/")
    pairs: list[tuple[str | None, str]] = []
    if provider == "openrouter":
        if rest:  # permaslug: "vendor/model-date"
            pairs += [("openrouter", f"{prefix.lower()}/{v}") for v in _variants(rest)]
        pairs += [("openrouter", v) for v in _variants(model)]
    elif rest:  # LiteLLM "anthropic/claude-…", CCR "DeepSeek/deepseek-chat"
        pairs += [(provider or provider_name(prefix), v) for v in _variants(rest)]
        pairs += [(provider_name(prefix), v) for v in _variants(rest)]
    pairs += [(provider, v) for v in _variants(model)]
    return pairs


def map_model(provider_hint: str | None, source_model: str, known: Iterable[tuple[str, str]],
              overrides: dict[str, str] | None = None) -> tuple[str, str] | None:
    """The (provider, model) of the price book this source model is, or None.

    ``overrides`` (from ``--map FILE``, ``models:``) map a source id to ``provider/model`` and win.
    Without a provider hint, a model id that only one provider lists maps to it.
    """
    if overrides and source_model in overrides:
        provider, _, model = overrides[source_model].partition("/")
        return provider, model
    keys = set(known)
    provider = provider_name(provider_hint)
    for cand_provider, cand in _candidates(provider, source_model):
        if cand_provider is not None and (cand_provider, cand) in keys:
            return cand_provider, cand
        if cand_provider is None:
            owners = sorted(p for p, m in keys if m == cand)
            if len(owners) == 1:
                return owners[0], cand
    return None
