"""Output formats of ``costbench route``: a table, JSON, and Claude Code Router configs (v1/v2 and v3).

CCR v1/v2 (``~/.claude-code-router/config.json``, README @ v2.0.0): ``Providers`` with a full ``api_base_url``,
``api_key`` (``$VAR`` is interpolated from the environment: costbench never writes a key), ``models`` and
``transformer``; ``Router`` maps each role to ``"provider,model"``, plus ``longContextThreshold``.
CCR v3 (3.0.x, ``packages/core/src/contracts/app.ts``): ``Providers`` (``GatewayProviderConfig``, selector
``Provider/model``), ``Router`` = ``{builtInRules, fallback, rules}``, and the Claude Code tiers in
``profile.claudeCode`` (``ClaudeCodeProfileConfig``). v3 keeps its config in SQLite and reads a ``config.json``
only once, as a migration source.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from costbench.config import EMULATOR, Config
from costbench.providers import get_adapter
from costbench.route import CCR_ROLES, Candidate, Recommendation, RoleChoice

# Public endpoints per dialect (what a user routes to; emulated providers stand for these). CCR wants the
# full endpoint URL ("api_base_url must be a complete (full) URL", CCR README); bases as in costbench's adapters.
_BASES = {"openai_chat": "https://api.openai.com/v1", "openai_responses": "https://api.openai.com/v1",
          "anthropic": "https://api.anthropic.com/v1", "gemini": "https://generativelanguage.googleapis.com/v1beta",
          "deepseek": "https://api.deepseek.com", "mistral": "https://api.mistral.ai/v1", "xai": "https://api.x.ai/v1",
          "openrouter": "https://openrouter.ai/api/v1"}
_PATHS = {"anthropic": "/messages", "gemini": "/models/"}
# CCR's built-in transformers (README @ v2.0.0: Anthropic, deepseek, gemini, openrouter, …).
_TRANSFORMERS = {"anthropic": "Anthropic", "deepseek": "deepseek", "gemini": "gemini", "openrouter": "openrouter"}
# v3 GatewayProviderProtocol per dialect.
_V3_TYPES = {"anthropic": "anthropic_messages", "gemini": "gemini_generate_content", "openai_responses": "openai_responses"}


def _usd(value: Decimal | None) -> str:
    return "—" if value is None else f"${value:.6f}"


def _row(role: str, ch: RoleChoice) -> list[str]:
    p = ch.pick
    saving = ch.saving_vs_best
    return [role, (p.name if p else "—") + (" (no model needed)" if ch.no_model_needed else ""),
            f"{p.success_rate:.3f} [{p.success_low:.3f}, {p.success_high:.3f}]" if p else "—",
            _usd(p.cost_per_solved_usd) if p else "—", ch.runner_up.name if ch.runner_up else "—",
            ch.best.name if ch.best else "—", f"{saving:.0%}" if saving is not None else "—", ch.note or ""]


def to_table(rec: Recommendation) -> str:
    """An aligned text table, one line per role."""
    head = ["role", "recommended", "success [95% Wilson]", "cost/solved", "runner-up", "most successful",
            "saving", "note"]
    cells = [head, *(_row(role, ch) for role, ch in rec.roles.items())]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.append(f"bar: success lower bound >= {rec.bar}; window: {rec.window_days} days; "
                 f"at least {rec.min_solved} solved cases per candidate{'; SIMULATED (emulator) results' if rec.simulated else ''}")
    return "\n".join(lines)


def _cand(c: Candidate, bar: float) -> dict[str, Any]:
    return {"model": c.name, "baseline": c.is_baseline, "success_rate": c.success_rate, "success_low": c.success_low,
            "success_high": c.success_high, "attempts": c.attempts, "solved": c.solved, "tasks": c.tasks,
            "cost_per_solved_usd": _plain(c.cost_per_solved_usd), "cost_per_solved_ci_usd":
            [_plain(c.cpst_ci_low_usd), _plain(c.cpst_ci_high_usd)], "meets_bar": c.success_low >= bar}


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def to_json(rec: Recommendation) -> dict[str, Any]:
    """``{"roles": {ROLE: {"model", "success_rate", "success_low", "cost_per_solved_usd", "candidates": [...]}}}``."""
    roles = {}
    for role, ch in rec.roles.items():
        p = ch.pick
        saving = ch.saving_vs_best
        roles[role] = {"model": p.name if p else None, "success_rate": p.success_rate if p else None,
                       "success_low": p.success_low if p else None,
                       "cost_per_solved_usd": _plain(p.cost_per_solved_usd) if p else None,
                       "candidates": [_cand(c, rec.bar) for c in ch.candidates],
                       "runner_up": ch.runner_up.name if ch.runner_up else None,
                       "most_successful": ch.best.name if ch.best else None,
                       "saving_vs_most_successful": _plain(saving), "no_model_needed": ch.no_model_needed,
                       "note": ch.note or None, "items": ch.items}
    return {"roles": roles, "bar": rec.bar, "window_days": rec.window_days, "min_solved": rec.min_solved,
            "simulated": rec.simulated, "long_context_threshold": rec.long_context_threshold}


def _endpoint(cfg: Config, provider: str) -> str:
    p = cfg.provider(provider)
    base = _BASES[p.dialect] if p.base_url == EMULATOR else p.base_url.rstrip("/")
    return base + _PATHS.get(p.dialect, "/chat/completions")


def _routes(rec: Recommendation) -> dict[str, Candidate]:
    """CCR role → model: recommended roles only; ``default`` (which CCR requires) falls back to the most
    successful model when nothing meets the bar, and is an error on too little data."""
    routes = {role: ch.routed for role, ch in rec.roles.items() if role in CCR_ROLES and ch.routed is not None}
    default = rec.roles.get("default")
    if "default" not in routes and default is not None and default.best is not None:
        routes["default"] = default.best
    if "default" not in routes:
        raise ValueError("the 'default' role has no model to route to (no data in the window?); "
                         "measure more runs or check [roles] default")
    return routes


def _providers(cfg: Config, routes: dict[str, Candidate]) -> dict[str, list[str]]:
    models: dict[str, list[str]] = {}
    for c in routes.values():
        if c.model not in models.setdefault(c.provider, []):
            models[c.provider].append(c.model)
    return models


def _key_ref(cfg: Config, provider: str) -> str:
    p = cfg.provider(provider)
    return "$" + (p.api_key_env or get_adapter(p.dialect).api_key_env)


def ccr_v1(rec: Recommendation, cfg: Config) -> dict[str, Any]:
    """A complete classic (v1.x/v2.0) CCR ``config.json``; roles without a routable model are left out."""
    routes = _routes(rec)
    providers = []
    for name, models in _providers(cfg, routes).items():
        entry: dict[str, Any] = {"name": name, "api_base_url": _endpoint(cfg, name), "api_key": _key_ref(cfg, name),
                                 "models": models}
        if cfg.provider(name).dialect in _TRANSFORMERS:
            entry["transformer"] = {"use": [_TRANSFORMERS[cfg.provider(name).dialect]]}
        providers.append(entry)
    router: dict[str, Any] = {role: f"{c.provider},{c.model}" for role, c in routes.items()}
    if "longContext" in routes and rec.long_context_threshold:
        router["longContextThreshold"] = rec.long_context_threshold
    return {"LOG": False, "API_TIMEOUT_MS": 600000, "Providers": providers, "Router": router}


def _rule(rid: str, name: str, left: str, operator: str, right: str, target: Candidate) -> dict[str, Any]:
    return {"id": rid, "name": name, "enabled": True, "type": "condition",
            "condition": {"left": left, "operator": operator, "right": right},
            "rewrites": [{"key": "request.body.model", "operation": "set", "value": f"{target.provider}/{target.model}"}]}


def ccr_v3(rec: Recommendation, cfg: Config) -> dict[str, Any]:
    """The CCR v3 form: providers, Claude Code tier models and the rules v3 can express (see :func:`v3_comment`)."""
    routes = _routes(rec)
    sel = {role: f"{c.provider}/{c.model}" for role, c in routes.items()}
    providers = [{"name": name, "api_base_url": _endpoint(cfg, name), "api_key": _key_ref(cfg, name), "models": models,
                  "type": _V3_TYPES.get(cfg.provider(name).dialect, "openai_chat_completions")}
                 for name, models in _providers(cfg, routes).items()]
    rules = []
    if "think" in routes:  # role equivalents: USAGE-EXPORTS §i3 (docs/…/configuration/routing.md)
        rules.append(_rule("costbench-think", "think (extended thinking)", "request.body.thinking", "!=", "", routes["think"]))
    if "webSearch" in routes:
        rules.append(_rule("costbench-websearch", "webSearch", "request.body.tools", "contains-deep", "web_search", routes["webSearch"]))
    if "image" in routes:
        rules.append(_rule("costbench-image", "image", "request.body.messages", "contains-deep", "image", routes["image"]))
    profile = {"enabled": True, "model": sel["default"], "sonnetModel": sel["default"], "fableModel": sel["default"],
               "opusModel": sel.get("think", sel["default"]), "haikuModel": sel.get("background", sel["default"]),
               "smallFastModel": sel.get("background", sel["default"]), "managedCompact": False, "settingsFile": ""}
    return {"Providers": providers,
            "Router": {"builtInRules": {"claude-code": {"enabled": True}, "codex": {"enabled": False}},
                       "fallback": {"mode": "off", "models": [], "retryCount": 0}, "rules": rules},
            "profile": {"claudeCode": profile}}


def v3_comment(rec: Recommendation) -> list[str]:
    """What the v3 form cannot express, as comment lines."""
    lines = ["CCR v3 keeps its configuration in SQLite; this file is read once, as a migration source, when no",
             "config.sqlite exists. Otherwise enter the profile tiers under Agent Config and the rules under Routing.",
             "v3 cannot express: background is a tier (haikuModel), not a rule;"]
    if "longContext" in rec.roles:
        lines.append(f"longContext (threshold {rec.long_context_threshold} tokens) needs a Node.js script rule on "
                     "input.tokenCount: no condition compares token counts;")
    user = [r for r in rec.roles if r not in CCR_ROLES]
    if user:
        lines.append(f"your own roles ({', '.join(user)}) have no request field to match: route them by hand "
                     "(/model provider/model) or with a script rule.")
    return lines
