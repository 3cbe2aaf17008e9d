"""``costbench catalog list|show|validate|lock|grade``: the task catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

catalog_option = click.option("--catalog", "catalog_dir", default="tasks_catalog", show_default=True,
                              type=click.Path(file_okay=False), help="The task catalog folder.")


@click.group("catalog")
def catalog_group() -> None:
    """The standard task catalog (tasks_catalog/*.yaml)."""


@catalog_group.command("list")
@catalog_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(catalog_dir: str, as_json: bool) -> None:
    """List every task with its version, category, cases and tags.

    Example: costbench catalog list --json
    """
    from costbench.catalog.tasks import load_catalog

    tasks = list(load_catalog(catalog_dir))
    if as_json:
        click.echo(json.dumps([{"id": t.id, "version": t.version, "category": t.category, "cases": len(t.cases),
                                "turns": t.calls_per_case, "grader": t.grader.name, "tags": t.tags} for t in tasks], indent=2))
        return
    for t in tasks:
        click.echo(f"{t.key:<34} {t.category:<15} {len(t.cases):>2} cases  {t.grader.name:<18} {' '.join(t.tags)}")
    click.echo(f"{len(tasks)} tasks, {len({t.category for t in tasks})} categories, {sum(len(t.cases) for t in tasks)} cases")


@catalog_group.command("show")
@click.argument("task_id")
@catalog_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(task_id: str, catalog_dir: str, as_json: bool) -> None:
    """Show one task: its messages, cases and grader.

    Example: costbench catalog show math_word_problems
    """
    from costbench.catalog.tasks import load_catalog

    task = load_catalog(catalog_dir).get(task_id)
    if as_json:
        click.echo(json.dumps(task.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    click.echo(f"{task.key} ({task.category}) — {task.description}")
    click.echo(f"grader: {task.grader.name} {task.grader.args or ''}; max output tokens {task.max_output_tokens}; "
               f"turns {task.calls_per_case}; tags {', '.join(task.tags) or '–'}")
    for case in task.cases:
        first = task.render(case)[-1]["content"]
        click.echo(f"  case {case.id}: {first[:100]!r} → {str(case.target)[:60]!r}")


@catalog_group.command("validate")
@catalog_option
def validate(catalog_dir: str) -> None:
    """Check every task: schema, placeholders, references pass, a wrong answer fails, versions bumped.

    Example: costbench catalog validate
    """
    from costbench.catalog.checks import validate_catalog
    from costbench.errors import CatalogError, CostbenchError

    try:
        report = validate_catalog(Path(catalog_dir))
    except CostbenchError:
        raise
    except Exception as exc:  # anything unforeseen is still one line, never a traceback
        raise CatalogError(f"{catalog_dir}: {type(exc).__name__}: {' '.join(str(exc).split())}"[:500]) from None
    click.echo(report)


class _UsageExit1(click.Command):
    """A command whose usage errors exit with code 1, like every other error of the CLI."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            exc.exit_code = 1
            raise


@catalog_group.command("grade", cls=_UsageExit1)
@click.argument("task_id")
@click.argument("case_id")
@click.option("--answer-file", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="The model's answer, as text ('-' reads stdin).")
@catalog_option
def grade_cmd(task_id: str, case_id: str, answer_file: str, catalog_dir: str) -> None:
    """Grade one answer exactly as a run would; prints {"passed", "score", "reason"} and exits 0 whatever the grade.

    Example: costbench catalog grade bug_fix_functions median --answer-file answer.md
    """
    from costbench.catalog.graders import grade
    from costbench.catalog.tasks import load_catalog
    from costbench.errors import CatalogError, did_you_mean

    task = load_catalog(catalog_dir).get(task_id)
    case = next((c for c in task.cases if c.id == case_id), None)
    if case is None:
        raise CatalogError(f"task {task_id!r} has no case {case_id!r}.{did_you_mean(case_id, [c.id for c in task.cases])}")
    with click.open_file(answer_file, encoding="utf-8", errors="replace") as f:
        answer = f.read()
    result = grade(task.grader, answer, case)
    click.echo(json.dumps({"passed": result.passed, "score": result.score, "reason": result.reason}, ensure_ascii=False))


@catalog_group.command("lock")
@catalog_option
def lock(catalog_dir: str) -> None:
    """Record each task's version and content hash in tasks_catalog/catalog.lock.json (after a version bump).

    Example: costbench catalog lock
    """
    from costbench.catalog.checks import write_lock

    path = write_lock(Path(catalog_dir))
    click.echo(f"wrote {path}")


COMMANDS = [catalog_group]
