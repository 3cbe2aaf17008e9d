"""The catalog's data model: a task, its cases, its grader spec (no loading, no grading).

Kept apart from :mod:`costbench.catalog.tasks` (loading and validation) so that the graders can name these
types while the loader checks grader specs with the graders: imports flow tasks → graders → model.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Message = dict[str, str]


class GraderSpec(BaseModel):
    """Which grader scores a case, with its arguments."""

    model_config = ConfigDict(extra="forbid")
    name: str
    args: dict[str, Any] = {}


class PromptMessage(BaseModel):
    """One message template; ``{name}`` placeholders are filled from the case's inputs."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str


class Case(BaseModel):
    """One graded instance of a task."""

    model_config = ConfigDict(extra="forbid")
    id: str
    inputs: dict[str, Any] = {}
    target: Any = None
    """What the grader compares against (string, number, dict, list …)."""
    reference: str | None = None
    """A correct final answer as a model would write it; the emulator answers with it. Defaults to ``target``."""
    turn_references: list[str] = []
    """Answers for the intermediate turns of a multi-turn task (the emulator uses them)."""

    def reference_text(self) -> str:
        """The reference answer as text."""
        if self.reference is not None:
            return self.reference
        return "" if self.target is None else str(self.target)


class Task(BaseModel):
    """One task of the catalog."""

    model_config = ConfigDict(extra="forbid")
    id: str
    version: int
    category: str
    description: str
    messages: list[PromptMessage]
    turns: list[str] = []
    """Follow-up user messages (templates) sent after each assistant answer: the conversation grows."""
    cases: list[Case] = Field(min_length=1)
    grader: GraderSpec
    max_output_tokens: int = Field(gt=0)
    cache_breakpoints: list[int] = []
    """Indices into ``messages`` after which providers with explicit caching place a cache breakpoint."""
    cache_ttl: Literal["5m", "1h"] = "5m"
    """Lifetime asked for those breakpoints (Anthropic ``cache_control.ttl``; a 1 h write costs 2x input, a 5 min
    one 1.25x). The rolling breakpoint on the newest message stays 5 min: 1 h entries must precede 5 min ones."""
    tags: list[str] = []
    baseline: str | None = None
    """A non-LLM baseline (``costbench/catalog/baselines/``) run every night as model ``baseline/<name>``."""

    @property
    def key(self) -> str:
        """``id@version``: results are always reported per task version."""
        return f"{self.id}@{self.version}"

    def render(self, case: Case) -> list[Message]:
        """The first request's messages for ``case``, placeholders filled."""
        return [{"role": m.role, "content": _fill(m.content, case.inputs)} for m in self.messages]

    def followups(self, case: Case) -> list[str]:
        """The follow-up user messages for ``case`` (empty for single-turn tasks)."""
        return [_fill(t, case.inputs) for t in self.turns]

    def cases_for(self, per_task: int = 0, day: date | None = None) -> list[Case]:
        """Every case, or ``per_task`` of them in a window that moves by ``per_task`` each day (so that
        consecutive days cover every case); without a day the window starts at the first case."""
        if not per_task or per_task >= len(self.cases):
            return list(self.cases)
        start = day.toordinal() * per_task % len(self.cases) if day else 0
        return [self.cases[(start + i) % len(self.cases)] for i in range(per_task)]

    @property
    def calls_per_case(self) -> int:
        """Requests one case needs: one per turn."""
        return 1 + len(self.turns)


def _fill(template: str, inputs: dict[str, Any]) -> str:
    out = template
    for name, value in inputs.items():
        out = out.replace("{" + name + "}", str(value))
    return out


def case_key(messages: list[Message]) -> str:
    """A stable key of a conversation: a hash of its first user message (same for every turn)."""
    first_user = next((m["content"] for m in messages if m.get("role") == "user"), "")
    return hashlib.sha256(first_user.encode()).hexdigest()[:24]
