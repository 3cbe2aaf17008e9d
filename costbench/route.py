"""Which model for which job: per-role recommendations from the measured results (``costbench route``).

A role is a set of catalog categories or task ids (``[roles]`` in costbench.toml). For each role, the
recommendation is the cheapest candidate (effective cost per solved task) whose 95 % Wilson lower bound of
success reaches the bar, with the runner-up and the saving against the most successful model. A baseline
(``baseline/<name>``: a non-LLM function) that meets the bar on every task of the role means "no model needed".
Nothing is recommended on too little data: a candidate needs ``min_solved`` solved cases to count at all.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from costbench.catalog.baselines import PROVIDER as BASELINE
from costbench.store import analytics

CCR_ROLES = ("default", "background", "think", "longContext", "webSearch", "image")
"""The roles Claude Code Router's classic ``Router`` knows (README @ v2.0.0, ``packages/core/src/utils/router.ts``)."""
MIN_SOLVED = 10
"""Fewer solved cases than this and a candidate is not judged (its interval would say little)."""


@dataclass(frozen=True)
class Candidate:
    """One model (or baseline) on one role over the window."""

    provider: str
    model: str
    tasks: int
    attempts: int
    solved: int
    success_rate: float
    success_low: float
    success_high: float
    cost_per_solved_usd: Decimal | None
    cpst_ci_low_usd: Decimal | None
    cpst_ci_high_usd: Decimal | None
    spend_usd: Decimal
    total_tokens: int
    simulated: bool

    @property
    def name(self) -> str:
        """``provider/model`` (``baseline/<name>`` for a baseline)."""
        return f"{self.provider}/{self.model}"

    @property
    def is_baseline(self) -> bool:
        """True for a non-LLM baseline."""
        return self.provider == BASELINE


@dataclass
class RoleChoice:
    """The recommendation for one role."""

    role: str
    items: list[str]
    candidates: list[Candidate]
    pick: Candidate | None = None
    runner_up: Candidate | None = None
    best: Candidate | None = None
    """The most successful LLM (the "default choice" a user would otherwise make)."""
    no_model_needed: bool = False
    note: str = ""

    @property
    def saving_vs_best(self) -> Decimal | None:
        """1 - pick's cost per solved / the most successful model's (None when either is unknown)."""
        if self.pick is None or self.best is None or not self.best.cost_per_solved_usd:
            return None
        return 1 - (self.pick.cost_per_solved_usd or Decimal(0)) / self.best.cost_per_solved_usd

    @property
    def routed(self) -> Candidate | None:
        """The LLM a router should send this role to: the pick, or the cheapest LLM meeting the bar when a
        baseline is the pick (a router cannot call a local function); None without a recommendation."""
        if self.pick is not None and not self.pick.is_baseline:
            return self.pick
        return self.runner_up


@dataclass
class Recommendation:
    """Every role's choice, with the settings that produced it."""

    bar: float
    window_days: int
    min_solved: int
    roles: dict[str, RoleChoice]
    long_context_threshold: int | None = None
    simulated: bool = False
    notes: list[str] = field(default_factory=list)


def _candidate(row: dict[str, Any]) -> Candidate:
    return Candidate(row["provider"], row["model"], int(row["tasks"]), int(row["attempts"]), int(row["solved"]),
                     float(row["success_rate"] or 0), float(row["success_low"] or 0), float(row["success_high"] or 0),
                     row["cost_per_solved_task_usd"], row["cpst_ci_low_usd"], row["cpst_ci_high_usd"],
                     row["spend_usd"], int(row["total_tokens"] or 0), bool(row["simulated"]))


def _cost_key(c: Candidate) -> tuple[Decimal, float, str]:
    cost = c.cost_per_solved_usd if c.cost_per_solved_usd is not None else Decimal("Infinity")
    return cost, -c.success_low, c.name


def choose(role: str, items: list[str], candidates: list[Candidate], bar: float, min_solved: int) -> RoleChoice:
    """The choice for one role from its candidates (see the module docstring for the rule)."""
    choice = RoleChoice(role, items, sorted(candidates, key=_cost_key))
    judged = [c for c in choice.candidates if c.solved >= min_solved]
    if not judged:
        most = max((c.solved for c in candidates), default=0)
        choice.note = f"too little data: at most {most} solved cases (need {min_solved}); no recommendation"
        return choice
    role_tasks = max(c.tasks for c in judged)
    llms = [c for c in judged if not c.is_baseline]
    choice.best = max(llms, key=lambda c: (c.success_rate, c.success_low, -_cost_key(c)[0]), default=None)
    meeting = [c for c in llms if c.success_low >= bar]
    free = [c for c in judged if c.is_baseline and c.success_low >= bar and c.tasks >= role_tasks]
    if free:
        choice.pick, choice.no_model_needed = free[0], True
        choice.runner_up = meeting[0] if meeting else None
        choice.note = f"no model needed: {free[0].name} meets the bar at no cost"
    elif meeting:
        choice.pick = meeting[0]
        choice.runner_up = meeting[1] if len(meeting) > 1 else None
    else:
        top = max(judged, key=lambda c: c.success_low)
        choice.note = f"no candidate's success lower bound reaches {bar:.2f} (best: {top.name} at {top.success_low:.3f})"
    return choice


def long_context_threshold(sizes: list[dict[str, Any]], items: list[str]) -> int | None:
    """Claude Code Router's ``longContextThreshold``: the smallest measured prompt of the longContext role's
    tasks, rounded down to a thousand tokens, so that every one of them routes there (None without data)."""
    smallest = [int(r["min_input_tokens"]) for r in sizes
                if (r["category"] in items or r["task_id"] in items) and r["min_input_tokens"] is not None]
    if not smallest:
        return None
    return max(1000, math.floor(min(smallest) / 1000) * 1000)


def recommend(con: duckdb.DuckDBPyConnection, roles: dict[str, list[str]], *, bar: float = 0.8,
              window_days: int = 14, min_solved: int = MIN_SOLVED) -> Recommendation:
    """Recommend a model (or no model) per role from the stored runs of the window."""
    rows = analytics.run(con, "category_leaderboard", {"window_days": window_days, "roles": json.dumps(roles)})
    by_role: dict[str, list[Candidate]] = {role: [] for role in roles}
    for row in rows:
        by_role.setdefault(row["category"], []).append(_candidate(row))
    rec = Recommendation(bar, window_days, min_solved,
                         {role: choose(role, roles[role], by_role[role], bar, min_solved) for role in roles})
    rec.simulated = any(c.simulated for cands in by_role.values() for c in cands)
    if "longContext" in roles:
        sizes = analytics.run(con, "prompt_sizes", {"window_days": window_days})
        rec.long_context_threshold = long_context_threshold(sizes, roles["longContext"])
    return rec


def monthly_saving(rec: Recommendation, reference: str, tokens_per_month: int) -> tuple[Decimal, Decimal] | None:
    """(monthly cost if every role goes to ``reference``, monthly cost when routed as recommended), in USD.

    The month's tokens are split across roles like ``reference``'s measured tokens per role; each role then costs
    its share at ``reference``'s measured $/token, scaled by pick/reference cost per solved task (the same solved
    work, done by the recommended model or baseline; a role without a recommendation stays on ``reference``).
    None when ``reference`` lacks data on a role.
    """
    refs = {role: next((c for c in ch.candidates if c.name == reference), None) for role, ch in rec.roles.items()}
    if not refs or any(r is None or not r.total_tokens or not r.cost_per_solved_usd for r in refs.values()):
        return None
    tokens = sum(r.total_tokens for r in refs.values() if r)
    before = after = Decimal(0)
    for role, ref in refs.items():
        assert ref is not None and ref.cost_per_solved_usd
        cost = Decimal(tokens_per_month) * ref.total_tokens / tokens * ref.spend_usd / ref.total_tokens
        used = rec.roles[role].pick or ref
        before += cost
        after += cost * (used.cost_per_solved_usd or Decimal(0)) / ref.cost_per_solved_usd
    return before, after
