"""A reusable emulator for other test modules; the integrator wires it into the top-level conftest."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from costbench.emulator import EmulatorConfig, EmulatorServer


@contextmanager
def running_emulator(**config: Any) -> Iterator[EmulatorServer]:
    """An in-process emulator on a free loopback port; ``config`` are EmulatorConfig fields."""
    with EmulatorServer(EmulatorConfig(**config)) as emu:
        yield emu
