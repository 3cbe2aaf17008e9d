"""Graders: tiny named functions that score a model's output against a case's target.

Each factory takes the YAML ``grader.args`` and returns ``grade(output, case) -> Grade``.
"""

from __future__ import annotations

import json
import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from costbench.catalog.tasks import Case, GraderSpec
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


def regex(pattern: str, flags: str = "") -> GradeFn:
    """The output matches ``pattern`` somewhere (``re.search``).

    Args:
        pattern: a Python regular expression.
        flags: letters of ``re`` flags: ``i`` ignore case, ``s`` dot matches newline, ``m`` multiline.
    """
    compiled = re.compile(pattern, sum(getattr(re, f.upper()) for f in flags))

    def grade(output: str, case: Case) -> Grade:
        ok = compiled.search(output) is not None
        return Grade(float(ok), ok, "matches" if ok else f"no match for /{pattern}/")

    return grade


def contains_all(case_insensitive: bool = True) -> GradeFn:
    """Every item of the case's target list appears in the output (score = share found).

    Args:
        case_insensitive: compare after case folding (default).
    """

    def grade(output: str, case: Case) -> Grade:
        items = case.target if isinstance(case.target, list) else [case.target]
        text = output.casefold() if case_insensitive else output
        missing = [i for i in items if (str(i).casefold() if case_insensitive else str(i)) not in text]
        score = 1 - len(missing) / max(1, len(items))
        return Grade(score, not missing, "all present" if not missing else f"missing: {', '.join(map(str, missing))}"[:200])

    return grade


def _json_in(text: str) -> Any:
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    candidate = fenced.group(1) if fenced else text[text.find("{"): text.rfind("}") + 1]
    return json.loads(candidate)


def json_fields(schema: dict[str, Any] | None = None) -> GradeFn:
    """The output holds JSON (raw or in a ```json fence) valid against ``schema`` whose fields equal the target's.

    Args:
        schema: a JSON Schema the object must satisfy (optional).
    Edge cases: strings compare after stripping and case folding; numbers compare by value; extra keys are fine.
    """
    import jsonschema

    def grade(output: str, case: Case) -> Grade:
        try:
            data = _json_in(output)
        except (json.JSONDecodeError, ValueError):
            return Grade(0.0, False, "no JSON object found")
        if schema is not None:
            try:
                jsonschema.validate(data, schema)
            except jsonschema.ValidationError as exc:
                return Grade(0.0, False, f"schema: {exc.message}"[:200])
        target = case.target or {}
        wrong = [k for k, v in target.items() if not isinstance(data, dict) or _norm_value(data.get(k)) != _norm_value(v)]
        score = 1 - len(wrong) / max(1, len(target))
        return Grade(score, not wrong, "all fields match" if not wrong else f"wrong fields: {', '.join(wrong)}"[:200])

    return grade


def _norm_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().casefold()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    if isinstance(value, list):
        return [_norm_value(v) for v in value]
    return value


def unit_tests(timeout_s: float = 5.0) -> GradeFn:
    """The python code block of the output passes the case's tests (``case.target``) in the sandbox.

    Args:
        timeout_s: wall-clock limit; an endless loop fails with reason "timed out".
    Edge cases: the last ```python block is used (else the whole output); no network; no shared state.
    """

    def grade(output: str, case: Case) -> Grade:
        from costbench.catalog.sandbox import run_python

        blocks = re.findall(r"```(?:python|py)?\s*\n(.*?)```", output, re.S)
        code = blocks[-1] if blocks else output
        try:  # an answer that is not Python (prose, a refusal) fails without a sandbox process; nothing runs here
            with warnings.catch_warnings():  # e.g. SyntaxWarning on "\d": the sandbox would only warn
                warnings.simplefilter("ignore")
                compile(code + "\n\n" + str(case.target), "<answer>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            return Grade(0.0, False, f"tests fail: {type(exc).__name__}: {exc}"[:200])
        result = run_python(code + "\n\n" + str(case.target), timeout_s=timeout_s)
        if result.timed_out:
            return Grade(0.0, False, f"timed out after {timeout_s} s")
        tail = result.output.strip().splitlines()[-1:] or [""]
        return Grade(float(result.passed), result.passed, "tests pass" if result.passed else f"tests fail: {tail[0]}"[:200])

    return grade


def chrf(hypothesis: str, reference: str, n: int = 6, beta: float = 2.0) -> float:
    """Character n-gram F-score (chrF, Popović 2015) in [0, 1], whitespace ignored."""
    hyp, ref = "".join(hypothesis.split()), "".join(reference.split())
    precisions, recalls = [], []
    for k in range(1, n + 1):
        h = [hyp[i:i + k] for i in range(len(hyp) - k + 1)]
        r = [ref[i:i + k] for i in range(len(ref) - k + 1)]
        if not h or not r:
            continue
        common = sum(min(h.count(g), r.count(g)) for g in set(h))
        precisions.append(common / len(h))
        recalls.append(common / len(r))
    if not precisions:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    return 0.0 if p + r == 0 else (1 + beta**2) * p * r / (beta**2 * p + r)


def similarity(threshold: float = 0.5) -> GradeFn:
    """chrF of the output against the reference text (``case.target``) reaches ``threshold``.

    Args:
        threshold: minimum chrF in [0, 1] to pass.
    """

    def grade(output: str, case: Case) -> Grade:
        score = chrf(output, str(case.target))
        return Grade(round(score, 4), score >= threshold, f"chrF {score:.3f} (pass ≥ {threshold})")

    return grade


def _spans(words: list[str]) -> set[tuple[int, int]]:
    spans, start = set(), 0
    for w in words:
        spans.add((start, start + len(w)))
        start += len(w)
    return spans


def zh_segmentation_f1(threshold: float = 0.8) -> GradeFn:
    """Word-span F1 of a Chinese segmentation (words separated by spaces or '/') against the target's.

    Args:
        threshold: minimum F1 to pass. Edge case: if the characters differ from the target's, the score is 0.
    """

    def grade(output: str, case: Case) -> Grade:
        got = [w for w in re.split(r"[\s/]+", output.strip()) if w]
        want = [w for w in re.split(r"[\s/]+", str(case.target).strip()) if w]
        if "".join(got) != "".join(want):
            return Grade(0.0, False, "characters differ from the sentence")
        common = len(_spans(got) & _spans(want))
        f1 = 0.0 if not common else 2 * common / (len(got) + len(want))
        return Grade(round(f1, 4), f1 >= threshold, f"F1 {f1:.3f} (pass ≥ {threshold})")

    return grade


REGISTRY: dict[str, Callable[..., GradeFn]] = {
    "exact": exact,
    "normalized_exact": normalized_exact,
    "numeric": numeric,
    "regex": regex,
    "contains_all": contains_all,
    "json_fields": json_fields,
    "unit_tests": unit_tests,
    "similarity": similarity,
    "zh_segmentation_f1": zh_segmentation_f1,
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
