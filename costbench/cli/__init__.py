"""The ``costbench`` command line: a thin shell over the library.

Each noun has its own module here (``costbench/cli/<noun>.py``) that defines a Click command or group
and is listed in ``_COMMAND_MODULES``. Every :class:`~costbench.errors.CostbenchError` (and a few
well-understood OS errors) becomes one line on stderr and exit code 1: never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from costbench.errors import CostbenchError

_COMMAND_MODULES = (
    "costbench.cli.core",
    "costbench.cli.db",
    "costbench.cli.emulator",
    "costbench.cli.prices",
    "costbench.cli.catalog",
    "costbench.cli.usage",
    "costbench.cli.report",
    "costbench.cli.quality",
    "costbench.cli.query",
    "costbench.cli.estimate",
    "costbench.cli.bill",
    "costbench.cli.route",
)


class _Group(click.Group):
    """A Click group whose errors are one line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CostbenchError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            click.echo(f"Error: {exc.strerror}: {exc.filename}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="costbench")
def main() -> None:
    """costbench: effective cost per solved task vs advertised price, for LLMs."""


def _register() -> None:
    for name in _COMMAND_MODULES:  # a listed module that does not exist is a bug: it fails loudly here
        for command in importlib.import_module(name).COMMANDS:
            main.add_command(command)


_register()
