"""The local provider emulator: a real HTTP server on loopback speaking the providers' dialects."""

from __future__ import annotations

from costbench.emulator.config import EmulatorConfig, FaultConfig, Limits, Persona, load_personas
from costbench.emulator.server import EmulatorProcess, EmulatorServer, serve_forever

__all__ = ["EmulatorConfig", "EmulatorProcess", "EmulatorServer", "FaultConfig", "Limits", "Persona", "load_personas", "serve_forever"]
