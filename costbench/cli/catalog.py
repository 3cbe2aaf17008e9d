"""``costbench catalog list|show|validate|lock``: the task catalog."""

from __future__ import annotations

import json
from pathlib import Path

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

    report = validate_catalog(Path(catalog_dir))
    click.echo(report)


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
