"""Emulator settings and personas (loaded from ``personas.yml``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

PERSONAS_FILE = Path(__file__).resolve().parent / "personas.yml"
BILLING_FILE = Path(__file__).resolve().parent / "billing.yml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultConfig(_Strict):
    """Faults injected deterministically: every Nth request (0 = off) gets the fault."""

    server_error_every: int = Field(0, ge=0)
    """HTTP 500 (503 for OpenAI-style, 529 overloaded for Anthropic) on every Nth request."""
    slow_every: int = Field(0, ge=0)
    slow_ms: int = Field(0, ge=0)
    """Extra delay of the slow responses (set it above the client's timeout to provoke timeouts)."""
    malformed_every: int = Field(0, ge=0)
    """A 200 whose body is not valid JSON."""
    truncated_stream_every: int = Field(0, ge=0)
    """A stream cut before its usage event."""
    missing_usage_every: int = Field(0, ge=0)
    """A 200 without any usage object."""


class Limits(_Strict):
    """Per key and persona, in a sliding 60-second window of emulated time (None = unlimited)."""

    rpm: int | None = None
    tpm: int | None = None


class CacheRules(_Strict):
    """A provider's prompt-cache rules."""

    mode: Literal["automatic", "explicit"]
    min_tokens: int
    unit_tokens: int = 1
    ttl_s: int = 300


class PersonaSwitch(_Strict):
    """From ``at`` on, the model name serves another model with its own habits (e.g. an alias moved)."""

    at: datetime
    serves: str
    """The model now behind the name (informational; the API name stays the same)."""
    tokens_per_word: float | None = None
    verbosity: float | None = None
    cache: CacheRules | None = None
    success: dict[str, float] | None = None


class Persona(_Strict):
    """One emulated model."""

    provider: str
    upstream: str | None = None
    cache: CacheRules
    tokens_per_word: float = 1.0
    reasoning: tuple[int, int] = (0, 0)
    verbosity: float = 1.0
    success: dict[str, float]
    limits: Limits = Limits()
    switches: list[PersonaSwitch] = []
    """Model switches behind this name, in time order; see :meth:`at`."""
    _served: dict[int, Persona] = PrivateAttr(default_factory=dict)
    """The persona as served after switch i, built once (every request asks)."""

    def at(self, when: datetime) -> Persona:
        """The persona as served at ``when``: the latest switch at or before it overrides its habits."""
        live = max((i + 1 for i, s in enumerate(self.switches) if s.at <= when), default=0)  # the last in force
        if not live:
            return self
        served = self._served.get(live)
        if served is None:
            switch = self.switches[live - 1]
            changes = switch.model_dump(exclude={"at", "serves"}, exclude_none=True)
            served = self._served[live] = self.model_copy(
                update={**changes, "cache": switch.cache or self.cache, "switches": []})
        return served

    def success_rate(self, category: str) -> float:
        """Chance of a right final answer in this task category."""
        return self.success.get(category, self.success.get("default", 0.5))


class EmulatorConfig(_Strict):
    """How the emulator behaves."""

    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port."""
    seed: int = 0
    latency_ms: int = Field(0, ge=0)
    catalog_dir: Path | None = Path("tasks_catalog")
    clock_start: datetime | None = None
    clock_speed: float = 1.0
    faults: FaultConfig = FaultConfig()
    rate_limits: dict[str, Limits] | None = None
    """Per model overrides of the personas' limits; {} turns limits off for everyone."""
    personas_file: Path = PERSONAS_FILE
    billing_file: Path = BILLING_FILE
    """The emulator's own price list (``billing.yml``): the invoice, independent of costbench's price book."""
    billing_lag_hours: float = Field(0.0, ge=0)
    """How long after a billing price's ``from`` the bill actually changes (a provider billing late)."""


def load_personas(path: Path = PERSONAS_FILE) -> dict[str, Persona]:
    """The personas, by model name."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: Persona.model_validate(spec) for name, spec in data.items()}
