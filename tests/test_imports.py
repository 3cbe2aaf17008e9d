"""Imports flow one way: no circle inside costbench, and the emulator stays a provider, not a part.

The graph is grimp's (every import: module level, in functions, under TYPE_CHECKING); the circles are
its strongly connected components (``scripts/import_cycles.py`` prints them).
"""

from __future__ import annotations

import importlib
import importlib.util

import grimp
import pytest

from tests.conftest import ROOT


def _script() -> object:
    spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "scripts" / "import_cycles.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("costbench", cache_dir=None)


def test_the_cycle_finder_finds_a_known_circle() -> None:
    circles = _script().circles  # type: ignore[attr-defined]
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e2"}, "e2": {"d"}}
    assert circles(edges) == [["a", "b", "c"]]
    assert circles({"x": {"y"}, "y": set()}) == []


def test_no_import_circle_inside_costbench() -> None:
    script = _script()
    assert script.circles(script.import_graph("costbench")) == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("importer", ["costbench.run", "costbench.prices", "costbench.providers"])
def test_the_run_path_never_imports_the_emulator(graph: grimp.ImportGraph, importer: str) -> None:
    assert not graph.chain_exists(importer, "costbench.emulator", as_packages=True), \
        graph.find_shortest_chains(importer, "costbench.emulator", as_packages=True)


# Expected state, not asserted yet: the emulator must not import costbench.prices or costbench.usage either.
# Today costbench/emulator/app.py imports the Pricer (another branch removes that); add
# ("costbench.prices", "costbench.usage") to the parametrize below once it is merged.
@pytest.mark.parametrize("imported", ["costbench.run"])
def test_the_emulator_is_a_provider_not_a_mirror(graph: grimp.ImportGraph, imported: str) -> None:
    assert not graph.chain_exists("costbench.emulator", imported, as_packages=True)



def test_every_listed_cli_module_exists_and_its_commands_are_registered() -> None:
    from costbench.cli import _COMMAND_MODULES, main

    for name in _COMMAND_MODULES:
        module = importlib.import_module(name)  # a listed module that does not exist fails here
        for command in module.COMMANDS:
            assert main.commands[command.name] is command, name
    assert "costbench.cli.flows" not in _COMMAND_MODULES
