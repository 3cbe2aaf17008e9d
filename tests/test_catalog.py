"""The catalog: enough real tasks, every reference passes, wrong answers fail, versions are locked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from costbench.catalog.tasks import load_catalog
from costbench.catalog.checks import validate_catalog, write_lock
from costbench.cli import main
from costbench.errors import CatalogError
from tests.conftest import ROOT

CATALOG = ROOT / "tasks_catalog"


def test_catalog_size_and_coverage() -> None:
    tasks = list(load_catalog(CATALOG))
    categories = {t.category for t in tasks}
    assert len(tasks) >= 40 and len(categories) >= 10
    assert all(len(t.cases) >= 3 for t in tasks)
    assert {"grammar", "code", "translation", "segmentation", "extraction", "classification", "math", "long_context",
            "agentic_coding", "summarization", "merging"} <= categories
    multi = [t for t in tasks if "multi_turn" in t.tags]
    assert multi and all(t.turns and t.cache_breakpoints == [0] for t in multi)


def test_long_context_prompts_are_long() -> None:
    from costbench.emulator.tokenizer import base_count

    for task in (t for t in load_catalog(CATALOG) if "long_context" in t.tags):
        prompt = " ".join(m["content"] for m in task.render(task.cases[0]))
        assert base_count(prompt) > 2000, task.id


def test_committed_catalog_validates() -> None:
    assert "all valid" in validate_catalog(CATALOG)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "cat"
    shutil.copytree(CATALOG, target)
    return target


def test_editing_a_task_without_a_version_bump_fails(copy: Path) -> None:
    path = copy / "capital_cities.yaml"
    path.write_text(path.read_text().replace("Canberra", "Sydney"))
    with pytest.raises(CatalogError, match="field 'version': the task changed"):
        validate_catalog(copy)
    path.write_text(path.read_text().replace("version: 2", "version: 3"))
    write_lock(copy)
    assert "all valid" in validate_catalog(copy)


def test_errors_name_file_line_and_field(copy: Path) -> None:
    path = copy / "capital_cities.yaml"
    path.write_text(path.read_text().replace("max_output_tokens:", "max_output_tokenz:"))
    with pytest.raises(CatalogError) as info:
        load_catalog(copy)
    message = str(info.value)
    assert f"{path}:" in message and "field 'max_output_tokenz'" in message and "Did you mean: max_output_tokens" in message
    line = int(message.split(f"{path}:")[1].split(":")[0])
    assert path.read_text().splitlines()[line - 1].startswith("max_output_tokenz")


def test_a_reference_that_fails_its_grader_is_reported(copy: Path) -> None:
    path = copy / "capital_cities.yaml"
    path.write_text(path.read_text().replace("    target: Ottawa", "    target: Ottawa\n    reference: Toronto"))
    with pytest.raises(CatalogError, match="case 'canada': field 'reference' does not pass"):
        validate_catalog(copy)


def test_cli_catalog_commands(copy: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["catalog", "list", "--catalog", str(CATALOG)])
    assert listed.exit_code == 0 and "40 tasks" in listed.output
    shown = runner.invoke(main, ["catalog", "show", "capital_citie", "--catalog", str(CATALOG)])
    assert shown.exit_code == 1 and "Did you mean: capital_cities" in shown.output
    assert runner.invoke(main, ["catalog", "validate", "--catalog", str(CATALOG)]).exit_code == 0
    (copy / "capital_cities.yaml").write_text("id: [")
    bad = runner.invoke(main, ["catalog", "validate", "--catalog", str(copy)])
    assert bad.exit_code == 1 and "not valid YAML" in bad.output and "Traceback" not in bad.output


CASES_BLOCK = """  - id: australia
    inputs: {country: Australia}
    target: Canberra
  - id: canada
    inputs: {country: Canada}
    target: Ottawa
  - id: switzerland
    inputs: {country: Switzerland}
    target: Bern
"""
GRADER = "grader: {name: normalized_exact}"


@pytest.mark.parametrize(("old", "new", "field", "says", "on_line"), [
    (GRADER, "grader: {name: normalised_exact}", "grader.name", "Did you mean: normalized_exact", "grader:"),
    (GRADER, "grader: {name: similarity, args: {threshold: high}}", "grader.args.threshold", "must be float", "grader:"),
    (GRADER, "grader: {name: similarity, args: {threshold: true}}", "grader.args.threshold", "got bool", "grader:"),
    (GRADER, "grader: {name: similarity, args: {threshold: 7}}", "grader.args.threshold", "between 0 and 1", "grader:"),
    (GRADER, "grader: {name: numeric, args: {tolerence: 1}}", "grader.args.tolerence", "Did you mean: tolerance",
     "grader:"),
    (GRADER, "grader:\n  name: regex\n  args:\n    pattern: '(Canberra'", "grader.args.pattern",
     "regex does not compile", "pattern:"),
    (GRADER, "grader: {name: regex, args: {pattern: Canberra, flags: iz}}", "grader.args.flags", "unknown regex flags",
     "grader:"),
    (GRADER, "grader: {name: json_fields, args: {schema: {type: objekt}}}", "grader.args.schema",
     "not a valid JSON Schema", "grader:"),
    (GRADER, "grader: {name: unit_tests, args: {timeout_s: [5]}}", "grader.args.timeout_s", "must be float", "grader:"),
    ("  - id: canada", "  - id: australia", "cases.1.id", "duplicate case id 'australia'", "- id: australia"),
    (None, "cases: []\n", "cases", "at least 1 item", "cases:"),  # None: the whole cases block
    ("max_output_tokens: 16", "max_output_tokens: 0", "max_output_tokens", "greater than 0", "max_output_tokens"),
    ("max_output_tokens: 16", "max_output_tokens: -5", "max_output_tokens", "greater than 0", "max_output_tokens"),
    ("max_output_tokens: 16", "max_output_tokens: 16\nmax_output_tokens: 32", "max_output_tokens", "appears twice",
     "max_output_tokens: 32"),
    ("    target: Ottawa", "    target: Ottawa\n    target: Toronto", "target", "appears twice", "target: Toronto"),
])
def test_bad_catalog_input_is_one_clear_line(copy: Path, old: str, new: str, field: str, says: str,
                                             on_line: str) -> None:
    path = copy / "capital_cities.yaml"
    text = path.read_text()
    if old is None:  # every case, up to the next top-level key
        start = text.index("cases:\n")
        end = next(i for i in range(start + 7, len(text)) if text[i - 1] == "\n" and text[i] not in " -")
        old = text[start:end]
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(CatalogError) as info:
        load_catalog(copy)
    message = str(info.value)
    assert "\n" not in message and f"field '{field}'" in message and says in message, message
    line = int(message.split(f"{path}:")[1].split(":")[0])
    assert on_line in path.read_text().splitlines()[line - 1], message
    out = CliRunner().invoke(main, ["catalog", "validate", "--catalog", str(copy)])
    assert out.exit_code == 1 and out.output.count("\n") == 1 and "Traceback" not in out.output
    assert out.output.startswith(f"Error: {path}:{line}: ")


def test_validate_never_prints_a_traceback(copy: Path) -> None:
    (copy / "catalog.lock.json").write_text("{not json")
    out = CliRunner().invoke(main, ["catalog", "validate", "--catalog", str(copy)])
    assert out.exit_code == 1 and out.output.count("\n") == 1 and "Traceback" not in out.output
    assert "catalog.lock.json: not valid JSON" in out.output


def test_case_depth_and_every_case_is_distinguishable_by_the_emulator() -> None:
    from costbench.catalog.tasks import case_key

    tasks = list(load_catalog(CATALOG))
    deep = {"grammar", "merging"}
    chinese = {"zh_word_segmentation", "zh_word_segmentation_news", "translation_en_zh", "translation_zh_en",
               "translation_zh_fr"}
    for task in tasks:
        wants = 20 if (task.category in deep or task.id in chinese or task.id.startswith(("bug_fix", "refactor"))) else 10
        assert len(task.cases) >= wants, (task.id, len(task.cases))
    # the emulator finds a case by its first user message: two cases sharing one would get each other's answers
    keys = [case_key(t.render(c)) for t in tasks for c in t.cases]
    assert len(keys) == len(set(keys))
