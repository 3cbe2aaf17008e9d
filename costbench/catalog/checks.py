"""Deep checks of the task catalog (``costbench catalog validate``) and its version lock.

Changing a task's file without bumping its ``version`` is an error: results are reported per task
version, so an edited task must not pretend to be the old one. ``tasks_catalog/catalog.lock.json``
records each task's version and the SHA-256 of its file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from costbench.catalog.tasks import Case, Catalog, GraderSpec, Task, load_catalog
from costbench.errors import CatalogError
from costbench.catalog.graders import get_grader

LOCK_FILE = "catalog.lock.json"
WRONG = "I am not sure about this one, sorry."
_VERDICTS: dict[str, bool] = {}
"""Verdicts already computed in this process, by a digest of (grader spec, case, output): grading is pure, and
the code tasks' sandboxed tests make a full validation of 550 cases take a minute the first time."""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_lock(directory: Path) -> Path:
    """Rewrite the lock from the current files (after their versions were bumped)."""
    catalog = load_catalog(directory)
    lock = {t.id: {"version": t.version, "sha256": _digest(directory / f"{t.id}.yaml")} for t in catalog}
    path = directory / LOCK_FILE
    path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    return path


def _check_lock(directory: Path, catalog: Catalog) -> None:
    path = directory / LOCK_FILE
    if not path.exists():
        raise CatalogError(f"{path}: missing; create it with `costbench catalog lock`")
    try:
        lock = json.loads(path.read_text())
    except ValueError as exc:
        raise CatalogError(f"{path}: not valid JSON ({exc}); recreate it with `costbench catalog lock`") from None
    if not isinstance(lock, dict) or not all(isinstance(e, dict) and {"version", "sha256"} <= set(e) for e in lock.values()):
        raise CatalogError(f"{path}: each task needs {{version, sha256}}; recreate it with `costbench catalog lock`")
    for task in catalog:
        entry = lock.get(task.id)
        file = directory / f"{task.id}.yaml"
        if entry is None:
            raise CatalogError(f"{file}: new task not in {LOCK_FILE}; run `costbench catalog lock`")
        if entry["sha256"] != _digest(file) and entry["version"] == task.version:
            raise CatalogError(f"{file}: field 'version': the task changed but its version is still {task.version}; "
                               f"bump it to {task.version + 1} and run `costbench catalog lock`")


def _passes(spec: GraderSpec, case: Case, output: str) -> bool:
    key = hashlib.sha256(json.dumps([spec.model_dump(), case.model_dump(), output], sort_keys=True,
                                    default=str).encode()).hexdigest()
    if key not in _VERDICTS:
        _VERDICTS[key] = get_grader(spec)(output, case).passed
    return _VERDICTS[key]


def _check_task(directory: Path, task: Task) -> None:
    file = directory / f"{task.id}.yaml"
    get_grader(task.grader)  # an unknown grader name is an error even without cases
    if task.baseline is not None:
        from costbench.catalog.baselines import get_baseline

        try:
            get_baseline(task.baseline)
        except CatalogError as exc:
            raise CatalogError(f"{file}: field 'baseline': {exc}") from None
    templates = [m.content for m in task.messages] + task.turns
    needed = {name for t in templates for name in re.findall(r"\{([a-z_][a-z0-9_]*)\}", t)}
    for case in task.cases:
        missing = needed - set(case.inputs)
        if missing:
            raise CatalogError(f"{file}: case {case.id!r}: field 'inputs' lacks {', '.join(sorted(missing))}")
    for case in task.cases:
        if not _passes(task, case, case.reference_text()):
            raise CatalogError(f"{file}: case {case.id!r}: field 'reference' does not pass the {task.grader.name} grader")
        if _passes(task, case, WRONG):
            raise CatalogError(f"{file}: case {case.id!r}: a wrong answer passes the grader; tighten 'target' or 'grader'")
    for index in task.cache_breakpoints:
        if not 0 <= index < len(task.messages):
            raise CatalogError(f"{file}: field 'cache_breakpoints': {index} is not a message index")


def _grade_all(catalog: Catalog) -> None:
    """Grade every reference and the wrong answer at once: a sandboxed grade is ~0.3 s of mostly kernel set-up."""
    jobs = [(t, c, out) for t in catalog for c in t.cases for out in (c.reference_text(), WRONG)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda job: _passes(*job), jobs))


def _passes(task: Task, case: Case, output: str) -> bool:
    return _grade_cached(task.grader.model_dump_json(), case.model_dump_json(), output)


@functools.lru_cache(maxsize=4096)
def _grade_cached(spec_json: str, case_json: str, output: str) -> bool:
    """A grade is a pure function of (grader, case, output): validating twice runs no sandbox twice."""
    return get_grader(GraderSpec.model_validate_json(spec_json))(output, Case.model_validate_json(case_json)).passed


def validate_catalog(directory: Path) -> str:
    """Run every check; returns a one-line summary or raises :class:`CatalogError` naming file and field."""
    catalog = load_catalog(directory)
    _grade_all(catalog)
    for task in catalog:
        _check_task(directory, task)
    _check_lock(directory, catalog)
    tasks = list(catalog)
    return (f"catalog {catalog.version}: {len(tasks)} tasks, {len({t.category for t in tasks})} categories, "
            f"{sum(len(t.cases) for t in tasks)} cases — all valid")
