"""Load and validate the task catalog (``tasks_catalog/*.yaml``).

A task is data: prompt messages (templates filled from each case's ``inputs``), optional follow-up user
turns for multi-turn work, cases with targets and a reference answer, a grader spec, and limits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from costbench.errors import CatalogError, did_you_mean

from costbench.catalog.model import Case, GraderSpec, Message, PromptMessage, Task, case_key  # noqa: F401 (re-exported)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: the same documents, 13x faster on the 550-case catalog."""


@dataclass
class Catalog:
    """All tasks, by id, plus a content hash that identifies this catalog version."""

    tasks: dict[str, Task]
    version: str
    _by_key: dict[str, tuple[Task, Case]] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks[k] for k in sorted(self.tasks))

    def get(self, task_id: str) -> Task:
        """The task ``task_id``; unknown ids get a "did you mean"."""
        try:
            return self.tasks[task_id]
        except KeyError:
            raise CatalogError(
                f"Unknown task {task_id!r}.{did_you_mean(task_id, self.tasks)}"
            ) from None

    def find_case(self, messages: list[Message]) -> tuple[Task, Case] | None:
        """The (task, case) whose conversation starts like ``messages``, if any."""
        if not self._by_key:
            for task in self:
                for case in task.cases:
                    self._by_key[case_key(task.render(case))] = (task, case)
        return self._by_key.get(case_key(messages))


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: ~10x faster on the catalog


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[misc]
    """A safe YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"field {key!r} appears twice (duplicate YAML "
                                                        "key); keep one", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _parse(path: Path) -> Any:
    """The YAML document of ``path``; errors are one line with the file and line."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(exc.problem or exc.context or "").split())
        prefix = "" if problem.startswith("field ") else "not valid YAML: "
        raise CatalogError(f"{path}{line}: {prefix}{problem}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None


def load_task(path: Path) -> Task:
    """Parse and validate one task file; errors name the file, line and field on one line."""
    data = _parse(path)
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: a task file must be a mapping with id, version, cases, grader …")
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        where = ".".join(str(p) for p in err["loc"])
        line = _line_of(path, list(err["loc"]))
        hint = ""
        if err["type"] == "extra_forbidden":
            hint = did_you_mean(str(err["loc"][-1]), [*Task.model_fields, *Case.model_fields, *GraderSpec.model_fields])
        raise CatalogError(f"{path}:{line}: field {where!r}: {err['msg']}.{hint}".replace("..", ".")) from None
    if task.id != path.stem:
        raise CatalogError(f"{path}:{_line_of(path, ['id'])}: field 'id': {task.id!r} must match the file name {path.stem!r}")
    _check_semantics(path, task)
    return task


def _check_semantics(path: Path, task: Task) -> None:
    """What the schema cannot say: unique case ids and a grader that exists with well-typed arguments."""
    from costbench.catalog.graders import check_spec  # graders imports this module

    seen: set[str] = set()
    for index, case in enumerate(task.cases):
        if case.id in seen:
            line = _line_of(path, ["cases", index, "id"])
            raise CatalogError(f"{path}:{line}: field 'cases.{index}.id': duplicate case id {case.id!r}; "
                               "case ids must be unique within a task")
        seen.add(case.id)
    problem = check_spec(task.grader)
    if problem is not None:
        loc, message = problem
        where = ".".join(map(str, loc))
        raise CatalogError(f"{path}:{_line_of(path, loc)}: field {where!r}: {message}")


def _line_of(path: Path, loc: list[Any]) -> int:
    """The 1-based line of the YAML node at a pydantic error location (the deepest one that exists)."""
    node: Any = yaml.compose(path.read_text(encoding="utf-8"))
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


_LOADED: dict[tuple[str, tuple[tuple[str, int, int], ...]], Catalog] = {}


def load_catalog(directory: str | Path) -> Catalog:
    """Load every ``*.yaml`` task in ``directory`` (cached while no file changes: nightly replays reuse it)."""
    root = Path(directory)
    files = sorted(root.glob("*.yaml"))
    if not files:
        raise CatalogError(f"{root}: no task files (*.yaml) found; point catalog_dir at tasks_catalog/")
    stamp = (str(root.resolve()), tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files))
    if stamp not in _LOADED:
        _LOADED[stamp] = _load(root, files)
    return _LOADED[stamp]


def _load(root: Path, files: list[Path]) -> Catalog:
    digest = hashlib.sha256()
    tasks: dict[str, Task] = {}
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        task = load_task(path)
        tasks[task.id] = task
    return Catalog(tasks=tasks, version=digest.hexdigest()[:12])
