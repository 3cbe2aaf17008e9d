"""The plan of a run: the types every runner module shares, and nothing that runs.

``runner``, ``calls``, ``processes`` and ``estimate`` import this module and never each other in a
circle: ``runner → processes → calls → plan`` and ``estimate → plan``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from costbench.catalog.tasks import Case, Catalog, Task
from costbench.config import Config, ModelRef


def call_id(run_id: str, model: str, task_key: str, case_id: str, repeat: int, turn: int) -> str:
    """Deterministic id of one call: the same inputs always give the same id."""
    text = "\x1f".join([run_id, model, task_key, case_id, str(repeat), str(turn)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Attempt:
    """One attempt at one case: every turn of its conversation."""

    model: ModelRef
    task: Task
    case: Case
    repeat: int


@dataclass(frozen=True)
class Part:
    """Runner process ``index`` of ``count``: its share of every per-provider limit."""

    index: int
    count: int

    def concurrency(self, total: int) -> int:
        """This process's connections out of ``total`` (the shares sum to ``total``)."""
        return total // self.count + (1 if self.index < total % self.count else 0)

    def rate(self, limit: int | None) -> float | None:
        """This process's part of an RPM or TPM limit."""
        return None if limit is None else limit / self.count

    def shard(self, shard: str) -> str:
        """The process's journal shard name."""
        return f"{shard}-p{self.index}"


@dataclass
class RunResult:
    """What a run did."""

    run_id: str
    run_at: datetime
    planned_calls: int
    sent_calls: int = 0
    skipped_calls: int = 0
    failed_calls: int = 0
    in_doubt_calls: int = 0
    budget_stopped: int = 0
    spent_usd: Decimal = Decimal(0)
    elapsed_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    precision: dict[str, Any] | None = None
    """Adaptive sampling only: per model attempts, spend, achieved half-width and what stopped it."""


def plan(cfg: Config, catalog: Catalog, models: Sequence[ModelRef] | None = None,
         tasks: Sequence[str] | None = None, day: date | None = None) -> list[Attempt]:
    """Every attempt of a run, in a stable order (``[run] cases_per_task`` picks the day's window of cases)."""
    chosen = [catalog.get(t) for t in (tasks or cfg.run.tasks)] if (tasks or cfg.run.tasks) else list(catalog)
    return [
        Attempt(model, task, case, repeat)
        for model in (models or cfg.models)
        for task in chosen
        for case in task.cases_for(cfg.run.cases_per_task, day)
        for repeat in range(cfg.run.repeats)
    ]
