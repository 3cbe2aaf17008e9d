"""``costbench emulator serve``: the local provider emulator on loopback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from costbench.errors import ConfigError


def _clock(value: str | None) -> tuple[datetime | None, float]:
    if not value:
        return None, 1.0
    start, _, speed = value.partition(",")
    try:
        when = datetime.fromisoformat(start.replace("Z", "+00:00"))
        return (when if when.tzinfo else when.replace(tzinfo=UTC)), float(speed or 1.0)
    except ValueError:
        raise ConfigError(f"--clock {value!r}: write START[,SPEED], e.g. 2025-09-29T02:00:00Z,60") from None


@click.group("emulator")
def emulator_group() -> None:
    """The local provider emulator (OpenAI, Anthropic, Gemini, DeepSeek, Mistral, xAI, OpenRouter dialects)."""


@emulator_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(0), help="Added to every answer.")
@click.option("--clock", metavar="START[,SPEED]", help="Emulated clock start (ISO) and speed factor.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the right/wrong answers and faults.")
@click.option("--faults", type=click.Path(exists=True, dir_okay=False), help="YAML file of FaultConfig settings.")
@click.option("--catalog", default="tasks_catalog", show_default=True, type=click.Path(file_okay=False),
              help="Task catalog whose reference answers the personas give.")
def serve(host: str, port: int, latency_ms: int, clock: str | None, seed: int, faults: str | None,
          catalog: str) -> None:
    """Serve until Ctrl-C.

    Example: costbench emulator serve --port 8765 --latency-ms 50
    """
    import yaml

    from costbench.emulator import EmulatorConfig, FaultConfig, serve_forever

    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(f"--host {host!r}: the emulator only binds loopback addresses")
    start, speed = _clock(clock)
    fault_cfg = FaultConfig.model_validate(yaml.safe_load(Path(faults).read_text()) or {}) if faults else FaultConfig()
    config = EmulatorConfig(host=host, port=port, latency_ms=latency_ms, clock_start=start, clock_speed=speed,
                            seed=seed, faults=fault_cfg, catalog_dir=Path(catalog))
    click.echo(f"costbench emulator on http://{host}:{port} (Ctrl-C stops it)", err=True)
    serve_forever(config)


COMMANDS = [emulator_group]
