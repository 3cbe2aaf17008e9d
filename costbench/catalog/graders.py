"""Graders: tiny named functions that score a model's output against a case's target.

Each factory takes the YAML ``grader.args`` and returns ``grade(output, case) -> Grade``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import os
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, get_type_hints

from pydantic import TypeAdapter, ValidationError

from costbench.catalog.metrics import chrf, word_spans
from costbench.catalog.model import Case, GraderSpec
from costbench.errors import CatalogError, did_you_mean
from costbench.secrets import known_keys, redact


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
    """The python code block of the output passes the case's tests (``case.target``) in the kernel sandbox.

    Args:
        timeout_s: wall-clock limit; an endless loop fails with reason "timed out".
    Edge cases: the last ```python block is used (else the whole output); no network, no environment,
    no view of the host (see :mod:`costbench.catalog.sandbox`); an answer that exits before its tests end
    fails; without bubblewrap the grader refuses (:class:`~costbench.catalog.sandbox.SandboxUnavailable`).
    """
    from costbench.catalog.sandbox import Limits, require

    require()  # refuse when the grader is built, before any paid call, never run unsandboxed

    def grade(output: str, case: Case) -> Grade:
        from costbench.catalog.sandbox import run_tests

        blocks = re.findall(r"```(?:python|py)?\s*\n(.*?)```", output, re.S)
        code = blocks[-1] if blocks else output
        try:  # an answer that is not Python (prose, a refusal) fails without a sandbox process; nothing runs here
            with warnings.catch_warnings():  # e.g. SyntaxWarning on "\d": the sandbox would only warn
                warnings.simplefilter("ignore")
                compile(code + "\n\n" + str(case.target), "<answer>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            return Grade(0.0, False, f"tests fail: {type(exc).__name__}: {exc}"[:200])
        result = run_tests(code, str(case.target or ""), Limits(timeout_s=timeout_s))
        if result.timed_out:
            return Grade(0.0, False, f"timed out after {timeout_s} s")
        if result.passed:
            return Grade(1.0, True, "tests pass")
        return Grade(0.0, False, _failure(result.returncode, result.output))

    return grade


def _failure(returncode: int | None, output: str) -> str:
    """Why sandboxed tests failed, from the exit status and the output's last line."""
    if returncode == 0:  # exit 0 without the nonce: the tests never ran to their end
        return "tests fail: no proof the tests ran (the code exited with status 0 before its tests finished)"
    if returncode in (128 + 25, -25):  # SIGXFSZ: past the file size limit, the captured output included
        return "tests fail: output or a file passed the sandbox's file size limit"
    tail = output.strip().splitlines()[-1:] or [f"no proof the tests ran (exit code {returncode})"]
    return f"tests fail: {tail[0]}"


def similarity(threshold: float = 0.5) -> GradeFn:
    """chrF of the output against the reference text (``case.target``) reaches ``threshold``.

    Args:
        threshold: minimum chrF in [0, 1] to pass.
    """

    def grade(output: str, case: Case) -> Grade:
        score = chrf(output, str(case.target))
        return Grade(round(score, 4), score >= threshold, f"chrF {score:.3f} (pass ≥ {threshold})")

    return grade


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
        common = len(word_spans(got) & word_spans(want))
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


SANDBOXED = frozenset({"unit_tests"})
"""Graders that execute model output: only ever in the kernel sandbox, off the event loop."""
INLINE = frozenset({"exact", "normalized_exact", "numeric", "contains_all"})
"""Graders cheap enough to run on the event loop (linear, no code, no regex from data)."""
OFF_LOOP_LIMIT_S = 30.0
"""Time limit of a CPU-bound grader run in a worker thread (the sandbox has its own, per grader)."""
REASON_CHARS = 200
"""Grade reasons are untrusted text: redacted, then cut to this many characters."""
_KEY_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7f, 0xa0)]} | {0x0a: " ", 0x09: " "}
"""Terminal control characters (ANSI escapes from model output) are shown escaped; a reason is one line."""


def check_spec(spec: GraderSpec) -> tuple[list[str | int], str] | None:
    """The first problem of a grader spec as (YAML location, message), or None; builds nothing."""
    factory = REGISTRY.get(spec.name)
    if factory is None:
        return ["grader", "name"], f"unknown grader {spec.name!r}.{did_you_mean(spec.name, REGISTRY)}"
    params, hints = inspect.signature(factory).parameters, get_type_hints(factory)
    for arg, value in spec.args.items():
        where: list[str | int] = ["grader", "args", arg]
        if arg not in params:
            return where, f"grader {spec.name!r} has no argument {arg!r}.{did_you_mean(arg, params)}"
        try:
            TypeAdapter(hints[arg]).validate_python(value, strict=True)
        except ValidationError:
            return where, f"must be {_type_name(hints[arg])}, got {type(value).__name__} {value!r}"
        problem = _check_value(spec.name, arg, value, spec.args)
        if problem:
            return where, problem
    return None


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def _check_value(grader: str, arg: str, value: Any, args: dict[str, Any]) -> str | None:
    if arg == "pattern":
        try:
            re.compile(value, sum(getattr(re, f.upper(), 0) for f in str(args.get("flags", ""))))
        except re.error as exc:
            return f"regex does not compile: {exc}"
    if arg == "flags" and set(value) - set("imsx"):
        return f"unknown regex flags {''.join(sorted(set(value) - set('imsx')))!r}; use letters of i, m, s, x"
    if arg == "threshold" and not 0 <= value <= 1:
        return f"must be between 0 and 1, got {value}"
    if arg in ("timeout_s", "tolerance") and Decimal(str(value)) < 0:
        return f"must not be negative, got {value}"
    if arg == "schema" and value is not None:
        import jsonschema

        try:
            jsonschema.validators.validator_for(value).check_schema(value)
        except jsonschema.SchemaError as exc:
            return f"not a valid JSON Schema: {exc.message}"
    return None


_BY_SPEC: dict[int, tuple[GraderSpec, GradeFn]] = {}
"""Built graders by spec object: a run grades thousands of outputs with the few specs of its catalog."""


def get_grader(spec: GraderSpec) -> GradeFn:
    """Build the grader named in a task's spec; unknown names and bad arguments get one clear line."""
    found = _BY_SPEC.get(id(spec))
    if found is not None and found[0] is spec:
        return found[1]
    fn = _build(spec.name, json.dumps(spec.args, sort_keys=True, default=str))
    if len(_BY_SPEC) > 4096:
        _BY_SPEC.clear()
    _BY_SPEC[id(spec)] = (spec, fn)
    return fn


@functools.lru_cache(maxsize=512)
def _build(name: str, args_json: str) -> GradeFn:
    """Graders are pure: one per (name, args), checked once (the check costs ~1 ms, a run grades thousands)."""
    spec = GraderSpec(name=name, args=json.loads(args_json))
    problem = check_spec(spec)
    if problem is not None:
        raise CatalogError(f"field {'.'.join(map(str, problem[0]))!r}: {problem[1]}")
    return REGISTRY[spec.name](**spec.args)


def _env_keys() -> list[str]:
    """Values of every environment variable named like a secret (when no configured list is given)."""
    names = [n for n in os.environ if any(word in n.upper() for word in _KEY_WORDS)]
    return known_keys(names)


def sanitize(text: str, keys: Iterable[str] | None = None) -> str:
    """Untrusted text with every key redacted, cut to :data:`REASON_CHARS`.

    Args:
        keys: the configured keys (a run passes its providers'); None scans the environment for them.
    """
    clean = (redact(text, _env_keys() if keys is None else keys) or "").translate(_CONTROL)
    return clean if len(clean) <= REASON_CHARS else clean[:REASON_CHARS - 1] + "…"


def grade(spec: GraderSpec, output: str, case: Case, keys: Iterable[str] | None = None) -> Grade:
    """Grade one output with the task's grader; the reason is redacted and truncated."""
    result = get_grader(spec)(output, case)
    return Grade(result.score, result.passed, sanitize(result.reason, keys))


async def grade_async(spec: GraderSpec, output: str, case: Case, keys: Iterable[str] | None = None) -> Grade:
    """:func:`grade` without blocking the event loop: CPU-bound and sandboxed graders run in a thread."""
    keys = None if keys is None else tuple(keys)
    if spec.name in INLINE:
        return grade(spec, output, case, keys)
    work = asyncio.to_thread(grade, spec, output, case, keys)
    if spec.name in SANDBOXED:
        return await work  # the sandbox kills its namespace at the grader's own timeout (+ 1 s at most)
    try:
        return await asyncio.wait_for(work, OFF_LOOP_LIMIT_S)
    except TimeoutError:
        return Grade(0.0, False, f"grading took longer than {OFF_LOOP_LIMIT_S:g} s")


def check_runnable(specs: Iterable[GraderSpec]) -> None:
    """Build every grader once before a run: a code-executing grader without a sandbox refuses here."""
    from costbench.catalog.sandbox import require

    specs = list(specs)
    for spec in specs:
        get_grader(spec)
    if any(spec.name in SANDBOXED for spec in specs):
        require()


def describe(spec: GraderSpec) -> dict[str, Any]:
    """A JSON-ready description of a grader spec."""
    return {"name": spec.name, "args": spec.args}
