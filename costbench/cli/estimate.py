"""``costbench estimate``: the pre-flight cost estimate of a run (a worst case), checked against the caps."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import click

from costbench.cli.core import config_option, parse_when
from costbench.config import Config, load_config


def _expected(cfg: Config) -> tuple[str | None, dict[str, Decimal]]:
    """The latest passed run's actual spend per model (read only): the config's store, else the demo's."""
    from costbench.cli.readdb import DEMO_DB
    from costbench.store.db import opened, query

    path = next((p for p in (Path(cfg.paths.db), DEMO_DB) if p.is_file()), None)
    if path is None:
        return None, {}
    with opened(path, read_only=True) as con:
        found = query(con, "report/last_run_spend_by_model")
    return (f"{found[0]['run_id']} in {path}" if found else None), {r["name"]: r["spend_usd"] for r in found}


def _lines(per_model: dict[str, Decimal], calls: int, total: Decimal, expected: dict[str, Decimal]) -> list[str]:
    from costbench.report.formatting import usd

    def line(name: str, worst: Decimal, seen: Decimal | None) -> str:
        return f"  {name:<40} {usd(worst):>10} {usd(seen) if seen is not None else '—':>12}"

    out = [f"  {'model':<40} {'worst case':>10} {'last actual':>12}"]
    out += [line(name, worst, expected.get(name)) for name, worst in sorted(per_model.items())]
    out.append(line(f"total ({calls:,} calls)", total, sum(expected.values()) if expected else None))
    return out


@click.command("estimate")
@config_option
@click.option("--at", "at", metavar="ISO_TIME", help="Price at this time (default: now).")
def estimate_cmd(config_path: str, at: str | None) -> None:
    """Estimate the worst case a `costbench run` could spend, per model, and check it against the budget caps.

    The worst case prices every answer at its full max_output_tokens with no cache hits; beside it is
    what the latest passed run in the store actually spent. Exits with code 1 when the worst case
    exceeds a cap (the run would refuse to start).

    Example: costbench estimate --at 2025-09-29T02:00:00Z
    """
    cfg = load_config(config_path)
    from costbench.catalog.tasks import load_catalog
    from costbench.prices.pricing import Pricer
    from costbench.run.budget import Budget
    from costbench.run.estimate import estimate
    from costbench.run.runner import plan, spent_today_usd

    when = parse_when(at) or datetime.now(UTC)
    est = estimate(plan(cfg, load_catalog(cfg.paths.catalog), day=when.date()), Pricer.load(cfg), when)
    run_id, expected = _expected(cfg)
    click.echo(f"pre-flight estimate at {when.isoformat()}: a worst case (every answer at max_output_tokens, "
               "no cache hits)" + (f"; last actual = run {run_id}" if run_id else "; no run in the store yet"))
    for line in _lines(est.per_model_usd, est.calls, est.total_usd, expected):
        click.echo(line)
    budget = Budget(cfg.budget.per_run_usd, cfg.budget.per_day_usd, spent_today_usd(cfg, when))
    budget.check_estimate(est.total_usd)
    click.echo(f"worst case within the caps: ${cfg.budget.per_run_usd} per run, ${cfg.budget.per_day_usd} per day")


COMMANDS = [estimate_cmd]
