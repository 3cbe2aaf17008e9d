"""``costbench estimate``: the pre-flight cost estimate of a run, checked against the caps."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from costbench.cli.core import config_option, parse_when
from costbench.config import load_config


@click.command("estimate")
@config_option
@click.option("--at", "at", metavar="ISO_TIME", help="Price at this time (default: now).")
def estimate_cmd(config_path: str, at: str | None) -> None:
    """Estimate what `costbench run` would spend, per model, and check it against the budget caps.

    Exits with code 1 when the estimate exceeds a cap (the run would refuse to start).

    Example: costbench estimate --at 2025-09-29T02:00:00Z
    """
    cfg = load_config(config_path)
    from costbench.run.budget import Budget
    from costbench.catalog.tasks import load_catalog
    from costbench.run.estimate import estimate
    from costbench.prices.pricing import Pricer
    from costbench.run.runner import plan, spent_today_usd

    when = parse_when(at) or datetime.now(UTC)
    est = estimate(plan(cfg, load_catalog(cfg.paths.catalog), day=when.date()), Pricer.load(), when)
    click.echo(f"pre-flight estimate at {when.isoformat()}:")
    for line in est.lines():
        click.echo(line)
    budget = Budget(cfg.budget.per_run_usd, cfg.budget.per_day_usd, spent_today_usd(cfg, when))
    budget.check_estimate(est.total_usd)
    click.echo(f"within the caps: ${cfg.budget.per_run_usd} per run, ${cfg.budget.per_day_usd} per day")


COMMANDS = [estimate_cmd]
