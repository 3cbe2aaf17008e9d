"""``costbench prices show|check|import`` and ``costbench cost``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from costbench.cli.core import parse_when
from costbench.errors import ConfigError, UsageError


def _split(name: str) -> tuple[str, str]:
    provider, sep, model = name.partition("/")
    if not sep or not model:
        raise ConfigError(f"{name!r}: write PROVIDER/MODEL, e.g. deepseek/deepseek-chat")
    return provider, model


def _entry_json(entry: Any) -> dict[str, Any]:
    data = entry.model_dump(mode="json", exclude={"provider", "model"})
    return {"entry_id": entry.entry_id, **data}


@click.group("prices")
def prices_group() -> None:
    """The price book (costbench/prices/*.yml)."""


def _book(config_path: str | None) -> Any:
    """The price book with the user books of ``--config`` (the packaged one alone without it)."""
    from costbench.prices.pricing import Pricer

    if config_path is None:
        return Pricer.load().book
    from costbench.config import load_config

    return Pricer.load(load_config(config_path)).book


@prices_group.command("show")
@click.argument("name", metavar="PROVIDER/MODEL")
@click.option("--at", "at", metavar="ISO_TIME", help="Only the entry in force at this time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Add this config's [prices] paths.")
def show(name: str, at: str | None, as_json: bool, config_path: str | None) -> None:
    """Show a model's price history (or the entry in force at a time).

    Example: costbench prices show deepseek/deepseek-chat --at 2025-09-30T00:00:00Z
    """
    book = _book(config_path)
    provider, model = _split(name)
    when = parse_when(at)
    entries = [book.price_for(provider, model, when)] if when else book.entries(provider, model)
    if as_json:
        click.echo(json.dumps([_entry_json(e) for e in entries], indent=2))
        return
    for e in entries:
        r = e.rates.per_field()
        mark = "  [unverified]" if e.confidence == "unverified" else ""
        click.echo(f"{e.entry_id}{mark}  {e.currency}/Mtok  in {r['input_uncached']}  cache read {r['cache_read']}  "
                   f"write 5m {r['cache_write_5m']}  write 1h {r['cache_write_1h']}  out {r['output']}"
                   f"{'  +' + str(len(e.tiers)) + ' tier(s)' if e.tiers else ''}"
                   f"{'  +' + str(len(e.windows)) + ' window(s)' if e.windows else ''}  [{e.source}]")


@prices_group.command("list")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Add this config's [prices] paths.")
def list_cmd(config_path: str | None) -> None:
    """List every priced model: its current entry, currency, confidence and where it comes from.

    Example: costbench prices list --config costbench.toml
    """
    book = _book(config_path)
    for (provider, model), history in sorted(book.entries_by_model.items()):
        e = history[-1]
        flags = "".join(f"  [{f}]" for f in ("unverified" if e.confidence == "unverified" else "",
                                               "undated" if e.undated else "") if f)
        click.echo(f"{provider}/{model}  {len(history)} entr{'y' if len(history) == 1 else 'ies'}, current {e.entry_id}  "
                   f"{e.currency}{flags}  [{e.source}]")


@prices_group.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Check this config's [prices] paths too.")
def check(config_path: str | None) -> None:
    """Validate every price file, the FX table's coverage and the committed JSON Schema.

    Example: costbench prices check --config costbench.toml
    """
    from costbench.prices.fx import load_fx
    from costbench.prices.book import PRICES_DIR, json_schema

    book = _book(config_path)
    fx = load_fx()
    for entry in book.all_entries():
        fx.rate(entry.currency, entry.effective_from)
    committed = json.loads((PRICES_DIR / "schema.json").read_text())
    if committed != json_schema():
        raise ConfigError("costbench/prices/schema.json is stale: regenerate it with `costbench prices schema`")
    click.echo(f"price book {book.version}: {len(book.all_entries())} entries for {len(book.entries_by_model)} "
               f"models, {len(book.changes())} price changes; FX covers every currency; schema up to date")


@prices_group.command("schema")
def schema() -> None:
    """Rewrite costbench/prices/schema.json from the pydantic model.

    Example: costbench prices schema
    """
    from costbench.prices.book import PRICES_DIR, json_schema

    path = PRICES_DIR / "schema.json"
    path.write_text(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n")
    click.echo(f"wrote {path}")


@prices_group.command("import")
@click.option("--config", "config_path", default="costbench.toml", show_default=True, type=click.Path(dir_okay=False))
@click.option("--provider", "providers", multiple=True, help="Only these providers (default: all configured).")
@click.option("--out", type=click.Path(file_okay=False), help="Folder (default: [prices] imported, var/prices/imported).")
def import_cmd(config_path: str, providers: tuple[str, ...], out: str | None) -> None:
    """Write dated entries from the genai-prices package for the configured models (offline snapshot).

    Example: costbench prices import --provider anthropic --out my-prices/
    """
    from costbench.config import load_config
    from costbench.prices.book import PRICES_DIR
    from costbench.prices.importer import dump, import_provider

    cfg = load_config(config_path)
    folder = Path(out) if out else cfg.prices.imported
    if folder.resolve().is_relative_to(PRICES_DIR):
        raise ConfigError(f"--out {folder}: never write into the installed package; choose a folder of your own "
                          f"and list it in [prices] paths of {config_path}")
    folder.mkdir(parents=True, exist_ok=True)
    for provider in providers or sorted(cfg.providers):
        models = [m.model for m in cfg.models if m.provider == provider]
        if not models:
            cfg.provider(provider)  # an unknown name gets "did you mean"
            continue
        path = folder / f"{provider}.yml"
        path.write_text(dump(import_provider(provider, models)))
        click.echo(f"wrote {path} ({len(models)} model(s))")


def _read_usage(source: str) -> Any:
    from costbench.usage import Usage

    text = sys.stdin.read() if source == "-" else Path(source).read_text()
    try:
        data = json.loads(text, parse_float=Decimal)
        if not isinstance(data, dict):
            count = f" of {len(data)}" if isinstance(data, list) else ""
            raise UsageError(f"{source}: expects one usage object, got a JSON {type(data).__name__}{count}; "
                             "price them one at a time (e.g. jq -c '.[]' FILE | while read u; do echo \"$u\" | "
                             "costbench cost --usage - ...; done)")
        return Usage.from_dict(data)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}: not JSON: {exc.msg}") from None
    except (ValueError, TypeError) as exc:
        from costbench.errors import did_you_mean
        from costbench.usage import TOKEN_FIELDS

        bad = str(exc).rsplit(":", 1)[-1].strip().split(",")[0]
        raise UsageError(f"{source}: {exc}.{did_you_mean(bad, TOKEN_FIELDS)}") from None


def _exact(value: Decimal) -> str:
    """Fixed point, exact: ``str()`` can give exponents such as ``0E-12``."""
    return format(value, "f")


@click.command("cost")
@click.option("--usage", "usage_source", required=True, metavar="FILE|-", help="Normalized usage JSON (- = stdin).")
@click.option("--model", "name", metavar="PROVIDER/MODEL", help="Price with the book's entry for this model.")
@click.option("--at", "at", metavar="ISO_TIME", help="The call's time (default: now).")
@click.option("--price", "price_file", type=click.Path(exists=True, dir_okay=False), help="A one-entry price YAML.")
def cost_command(usage_source: str, name: str | None, at: str | None, price_file: str | None) -> None:
    """Print the exact cost of one normalized usage as JSON.

    Example: echo '{"input_uncached_tokens": 1000, "output_tokens": 200}' | costbench cost --usage - --model mistral/mistral-large-2411
    """
    from costbench.prices.costs import cost
    from costbench.prices.fx import load_fx
    from costbench.prices.book import PriceEntry, load_pricebook, read_yaml

    if bool(name) == bool(price_file):
        raise ConfigError("give exactly one of --model PROVIDER/MODEL or --price FILE")
    usage = _read_usage(usage_source)
    when = parse_when(at) or datetime.now(UTC)
    if price_file:
        entry = PriceEntry.model_validate(read_yaml(Path(price_file)) | {"provider": "file", "model": Path(price_file).stem})
    else:
        entry = load_pricebook().price_for(*_split(name or ""), when)
    c = cost(usage, entry, when, load_fx())
    click.echo(json.dumps({"currency": c.currency, "total": _exact(c.total), "total_usd": _exact(c.total_usd),
                           "fx_rate": _exact(c.fx_rate), "breakdown": {k: _exact(v) for k, v in c.breakdown.items()},
                           "tier": c.tier, "window": c.window, "entry": _entry_json(entry)}, indent=2))


COMMANDS = [prices_group, cost_command]
