"""The local provider emulator: a real HTTP server on loopback speaking the providers' dialects."""

from __future__ import annotations

from costbench.emulator.config import EmulatorConfig, FaultConfig, Limits, Persona, load_personas
from costbench.emulator.server import EmulatorServer, serve_forever

__all__ = ["EmulatorConfig", "EmulatorServer", "FaultConfig", "Limits", "Persona", "load_personas", "serve_forever"]
