"""``costbench run``, ``demo``, ``reprice``: the pipeline from the command line.

Heavy modules are imported inside the commands so that ``costbench --help`` stays fast.
"""

from __future__ import annotations

import json
import logging
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from costbench.config import load_config
from costbench.errors import ConfigError

config_option = click.option("--config", "config_path", default="costbench.toml", show_default=True,
                             type=click.Path(dir_okay=False), help="The costbench.toml to use.")


def parse_when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--at {value!r}: not an ISO time; write e.g. 2025-09-29T02:00:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("httpx", "httpx2", "great_expectations", "uvicorn"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@click.command()
@config_option
@click.option("--resume", "run_id", metavar="RUN_ID", help="Resume this run: landed calls are not sent again.")
@click.option("--at", "at", metavar="ISO_TIME", help="The time the run represents (emulator only replays it).")
@click.option("--processes", type=click.IntRange(1, 64), metavar="N",
              help="Runner processes (overrides [run] processes); 2+ only help against a fast endpoint.")
@click.option("--precision", type=click.FloatRange(0.1, 100), metavar="PCT",
              help="Adaptive sampling: stop each model at a ±PCT %% interval on cost per solved task.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="How to print the run summary.")
def run(config_path: str, run_id: str | None, at: str | None, processes: int | None, precision: float | None,
        fmt: str) -> None:
    """Run the catalog against every configured model, land, price and gate it.

    Example: costbench run --config costbench.toml --precision 10
    """
    cfg = load_config(config_path)
    if processes is not None:  # not part of the config hash: the run id and the results do not depend on it
        cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"processes": processes})})
    if precision is not None:
        cfg = cfg.model_copy(update={"run": cfg.run.model_copy(
            update={"sampling": "adaptive", "target_halfwidth_pct": precision})})
    from costbench import pipeline
    from costbench.run.journal import require_run

    if run_id is not None:
        require_run(cfg.paths.landing, run_id)
    _setup_logging()
    night = pipeline.run_night(cfg, run_at=parse_when(at), run_id=run_id)
    r = night.run
    if fmt == "json":
        click.echo(json.dumps(_run_summary(night), indent=2))
        if not night.quality.passed:
            click.echo("\n".join(night.quality.failing_models), err=True)
            sys.exit(1)
        return
    click.echo(f"run {r.run_id}: {r.sent_calls} calls sent, {r.skipped_calls} already landed, "
               f"{r.failed_calls} failed, ${r.spent_usd:.6f} spent in {r.elapsed_s:.1f}s")
    for error in r.errors:
        click.echo(f"  stopped: {error}")
    click.echo(f"  landed {night.load.inserted_calls} new call rows into {cfg.paths.db}; priced {night.priced_calls}")
    click.echo(f"  {night.quality.summary()}")
    for line in _precision_lines(r.precision):
        click.echo(line)

    if not night.quality.passed:  # failures fail: a quarantined run is exit 1, one line per failing model
        for line in night.quality.failing_models:
            click.echo(line)
        click.echo(f"run {r.run_id} is quarantined (failed_quality); see: costbench quality {r.run_id}", err=True)
        sys.exit(1)


def _precision_lines(precision: dict[str, Any] | None) -> list[str]:
    """The adaptive design's per-model lines: attempts, spend, achieved half-width, what stopped it."""
    if not precision:
        return []
    out = [f"  adaptive sampling, target ±{precision['target_halfwidth_pct']:g} %, {precision['rounds']} rounds:"]
    for m in precision["models"]:
        hw = "—" if m["halfwidth_pct"] is None else f"±{m['halfwidth_pct']:.1f} %"
        out.append(f"    {m['model']:<40} {m['attempts']:>5}/{m['planned_attempts']:<5} attempts  "
                   f"${Decimal(m['night_spend_usd']):.4f}  {hw:>9}  stopped by {m['stopped_by']}")
    return out


def _run_summary(night: Any) -> dict[str, Any]:
    """The run summary as JSON-ready data (money as exact decimal strings)."""
    r = night.run
    return {"run_id": r.run_id, "sent_calls": r.sent_calls, "skipped_calls": r.skipped_calls,
            "failed_calls": r.failed_calls, "spent_usd": format(r.spent_usd, "f"), "elapsed_s": round(r.elapsed_s, 3),
            "errors": r.errors, "landed_calls": night.load.inserted_calls, "priced_calls": night.priced_calls,
            "quality_passed": night.quality.passed, "failing_models": night.quality.failing_models,
            "precision": r.precision}


@click.command()
@config_option
@click.option("--since", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Re-price runs on or after this date (UTC).")
def reprice(config_path: str, since: datetime) -> None:
    """Recompute the costs of stored runs after a price-book change, without re-running anything.

    Example: costbench reprice --since 2025-09-01
    """
    from costbench.prices import pricing
    from costbench.store.db import opened

    cfg = load_config(config_path)
    with opened(cfg.paths.db) as con:
        done = pricing.reprice(con, since.date())
    click.echo(f"re-priced {sum(done.values())} calls in {len(done)} run(s) since {since.date()}")


@click.command()
@config_option
@click.option("--nights", default=14, show_default=True, type=click.IntRange(1, 366), help="Nights to replay.")
@click.option("--start", default="2025-09-22", show_default=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="First night (the default spans DeepSeek's 2025-09-29 price cut).")
@click.option("--data", default="var/demo", show_default=True, type=click.Path(file_okay=False),
              help="Where the demo keeps its DuckDB file and landing journal.")
def demo(config_path: str, nights: int, start: datetime, data: str) -> None:
    """Replay nightly runs against the local emulator and render the report (offline).

    Example: costbench demo --nights 14
    """
    from costbench import pipeline
    from costbench.emulator import EmulatorConfig, EmulatorProcess

    _setup_logging()
    logging.getLogger("costbench.run").setLevel(logging.WARNING)  # one line per night, not a pre-flight block
    cfg = pipeline.demo_config(load_config(config_path), Path(data).resolve())
    with ExitStack() as stack:
        # A child process, so that the emulator and the runner use both cores instead of sharing one GIL.
        emulator = EmulatorProcess(EmulatorConfig(seed=cfg.emulator.seed, latency_ms=cfg.emulator.latency_ms,
                                                  catalog_dir=cfg.paths.catalog))
        url = stack.enter_context(emulator).url
        pipeline.replay(cfg, start.date(), nights, emulator_url=url)
    from costbench.report.story import from_store

    click.echo(f"Report: {(cfg.paths.site / 'index.html').resolve()}")
    sentence = from_store(cfg.paths.db)
    if sentence:
        click.echo(sentence)


COMMANDS = [run, reprice, demo]
