"""Non-LLM baselines: plain functions that answer a task's cases with no model at all.

A task names one with ``baseline: <name>``; every night it runs like a model (``baseline/<name>``, cost 0,
wall time recorded) and is graded by the task's own grader, so "do I need a model at all?" has an answer.
Each baseline sees exactly what a model sees last: the text of the case's final user message.
"""

from __future__ import annotations

from collections.abc import Callable

from costbench.catalog.model import Case, Task
from costbench.errors import CatalogError, did_you_mean

BaselineFn = Callable[[str], str]
PROVIDER = "baseline"
"""The provider name of every baseline's calls (``baseline/<name>``)."""


def _registry() -> dict[str, BaselineFn]:
    from costbench.catalog.baselines.extract import invoice_fields
    from costbench.catalog.baselines.langid import identify
    from costbench.catalog.baselines.segment import jieba_words

    return {"jieba": jieba_words, "langid_rules": identify, "regex_invoice": invoice_fields}


NAMES = ("jieba", "langid_rules", "regex_invoice")
"""The registered baselines (the registry itself imports lazily: jieba loads its dictionary on first use)."""


def get_baseline(name: str) -> BaselineFn:
    """The baseline ``name``; unknown names are a :class:`CatalogError` with a "did you mean"."""
    if name not in NAMES:
        raise CatalogError(f"unknown baseline {name!r}; known: {', '.join(NAMES)}.{did_you_mean(name, NAMES)}")
    return _registry()[name]


def answer(task: Task, case: Case) -> str:
    """The task's baseline answer to ``case`` (the task must name a baseline)."""
    if task.baseline is None:
        raise CatalogError(f"task {task.id!r} has no baseline")
    messages = task.render(case)
    last_user = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    return get_baseline(task.baseline)(last_user)
