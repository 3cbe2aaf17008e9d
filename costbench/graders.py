"""Graders: tiny named functions that score a model's output against a case's target.

Each factory takes the YAML ``grader.args`` and returns ``grade(output, case) -> Grade``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from costbench.catalog import Case, GraderSpec
from costbench.errors import CatalogError, did_you_mean


@dataclass(frozen=True)
class Grade:
    """The verdict on one output: a score in [0, 1], pass/fail and a short reason."""

    score: float
    passed: bool
    reason: str


GradeFn = Callable[[str, Case], Grade]


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def exact() -> GradeFn:
    """Output equals the target exactly, after stripping surrounding whitespace."""

    def grade(output: str, case: Case) -> Grade:
        ok = output.strip() == str(case.target).strip()
        return Grade(1.0 if ok else 0.0, ok, "exact match" if ok else "differs from target")

    return grade


def normalized_exact() -> GradeFn:
    """Equal after Unicode NFKC, case folding, punctuation removal and whitespace collapsing."""

    def grade(output: str, case: Case) -> Grade:
        ok = _norm(output) == _norm(str(case.target))
        return Grade(1.0 if ok else 0.0, ok, "normalized match" if ok else "differs after normalizing")

    return grade


def numeric(tolerance: str | float = "0") -> GradeFn:
    """The last number in the output is within ``tolerance`` of the numeric target.

    Args:
        tolerance: absolute tolerance; given as a string to stay exact.
    """
    tol = Decimal(str(tolerance))

    def grade(output: str, case: Case) -> Grade:
        found = re.findall(r"-?\d+(?:\.\d+)?", output.replace(",", ""))
        if not found:
            return Grade(0.0, False, "no number in output")
        try:
            ok = abs(Decimal(found[-1]) - Decimal(str(case.target))) <= tol
        except InvalidOperation:
            return Grade(0.0, False, "target is not a number")
        return Grade(1.0 if ok else 0.0, ok, f"got {found[-1]}, want {case.target}")

    return grade


REGISTRY: dict[str, Callable[..., GradeFn]] = {
    "exact": exact,
    "normalized_exact": normalized_exact,
    "numeric": numeric,
}


def get_grader(spec: GraderSpec) -> GradeFn:
    """Build the grader named in a task's spec; unknown names get a "did you mean"."""
    try:
        factory = REGISTRY[spec.name]
    except KeyError:
        raise CatalogError(f"Unknown grader {spec.name!r}.{did_you_mean(spec.name, REGISTRY)}") from None
    try:
        return factory(**spec.args)
    except TypeError as exc:
        raise CatalogError(f"grader {spec.name!r}: bad args {spec.args}: {exc}") from None


def grade(spec: GraderSpec, output: str, case: Case) -> Grade:
    """Grade one output with the task's grader."""
    return get_grader(spec)(output, case)


def describe(spec: GraderSpec) -> dict[str, Any]:
    """A JSON-ready description of a grader spec."""
    return {"name": spec.name, "args": spec.args}
