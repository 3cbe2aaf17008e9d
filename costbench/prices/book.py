"""The price book: dated, sourced price entries per (provider, model), loaded from YAML and validated.

Files: ``costbench/prices/<provider>.yml`` (package data) plus user books from ``[prices] paths``; see
docs/prices.md. A price change is a new entry with a later ``effective_from``, never an edit. YAML numbers are read as ``Decimal`` from their
source text, so no price ever passes through a float.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from costbench.errors import PriceBookError, PriceNotFound, UnknownModel, did_you_mean

PRICES_DIR = Path(__file__).resolve().parent
FIELDS = ("input_uncached", "cache_read", "cache_write_5m", "cache_write_1h", "output")


class _DecimalLoader(yaml.SafeLoader):
    """A YAML loader that reads floats as Decimal from their text."""


class _BadDate(Exception):
    """A date-looking YAML scalar that is no real date (``2025-13-45``), with its line."""

    def __init__(self, text: str, line: int, reason: str) -> None:
        super().__init__(text)
        self.text, self.line, self.reason = text, line, reason


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:  # PyYAML lets date()'s ValueError escape: name the line instead of a traceback
        raise _BadDate(str(node.value), node.start_mark.line + 1, str(exc)) from None


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", lambda loader, node: Decimal(loader.construct_scalar(node)))
_DecimalLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file with exact decimals; an impossible date names its line and field."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=_DecimalLoader)  # noqa: S506 (safe subclass)
    except yaml.YAMLError as exc:
        raise PriceBookError(f"{path}: not valid YAML: {exc}") from None
    except _BadDate as bad:
        key = text.splitlines()[bad.line - 1].split(":", 1)[0].strip(" -")
        raise PriceBookError(f"{path}:{bad.line}: field {key}: impossible date {bad.text} ({bad.reason}); "
                             "write a real date as YYYY-MM-DD") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rates(_Strict):
    """Prices per million tokens, in the entry's currency. Missing cache-write rates mean "as input"."""

    input_uncached: Decimal
    output: Decimal
    cache_read: Decimal | None = None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    _per_field: Mapping[str, Decimal] | None = PrivateAttr(None)

    @field_validator("*", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("prices must be exact: write them as decimals (e.g. 0.28) or strings")
        return value

    @field_validator("*")
    @classmethod
    def _not_negative(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and (not value.is_finite() or value < 0):
            raise ValueError(f"a price cannot be {value}: write the list price per million tokens (0 or more)")
        return value

    def per_field(self) -> Mapping[str, Decimal]:
        """Every usage field's rate, defaults filled in (built once: every priced call asks; read-only)."""
        if self._per_field is None:
            base = self.input_uncached
            self._per_field = MappingProxyType({
                "input_uncached": base, "cache_read": base if self.cache_read is None else self.cache_read,
                "cache_write_5m": base if self.cache_write_5m is None else self.cache_write_5m,
                "cache_write_1h": base if self.cache_write_1h is None else self.cache_write_1h, "output": self.output})
        return self._per_field


class Tier(_Strict):
    """A prompt-length cliff: above it, EVERY token of the request is billed at these rates."""

    above_input_tokens: int = Field(gt=0)
    counter: Literal["total_input", "prompt"] = "total_input"
    """What decides the tier: all input incl. cache (Anthropic, genai-prices) or the prompt count (Gemini)."""
    inclusive: bool = False
    """True when the tier starts AT the threshold (xAI "reaches"), False when above it (Anthropic, Gemini)."""
    rates: Rates


class Window(_Strict):
    """A time-of-day window (UTC) with its own rates, e.g. DeepSeek's 2025 off-peak discount."""

    name: str
    start_utc: time
    end_utc: time
    rates: Rates

    def contains(self, at: datetime) -> bool:
        """Whether ``at`` falls in the window (windows may wrap past midnight)."""
        t = at.astimezone(UTC).time()
        if self.start_utc <= self.end_utc:
            return self.start_utc <= t < self.end_utc
        return t >= self.start_utc or t < self.end_utc


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _spans(w: Window) -> list[tuple[int, int]]:
    """The window as half-open second-of-day spans (two when it wraps past midnight)."""
    start, end = _seconds(w.start_utc), _seconds(w.end_utc)
    return [(start, end)] if start <= end else [(start, 86_400), (0, end)]


def _spans_overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


class PriceEntry(_Strict):
    """One dated price of one model."""

    effective_from: datetime
    announced_on: date | None = None
    currency: Literal["USD", "CNY", "EUR"]
    rates: Rates
    tiers: list[Tier] = []
    windows: list[Window] = []
    batch_multiplier: Decimal = Decimal(1)
    request_fee: Decimal = Decimal(0)
    source: str
    checked_on: date
    confidence: Literal["confirmed", "unverified"]
    """confirmed: the provider's own page or docs state this price and date; unverified: third-party sources
    only, or an inferred date/currency. Pages mark every figure that uses an unverified entry."""
    evidence: str = Field(min_length=10)
    """What backs the price and its date (citations, checks by arithmetic), in a sentence or two."""
    undated: bool = False
    """True when the source gave no start date: ``effective_from`` is then a placeholder, not a fact."""
    notes: str = ""
    provider: str = ""
    model: str = ""

    @field_validator("effective_from")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @field_validator("request_fee")
    @classmethod
    def _fee(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value < 0:
            raise ValueError(f"a request fee cannot be {value}: write 0 or more")
        return value

    @field_validator("windows")
    @classmethod
    def _no_overlap(cls, windows: list[Window]) -> list[Window]:
        for i, a in enumerate(windows):
            for b in windows[i + 1:]:
                if _spans_overlap(_spans(a), _spans(b)):
                    raise ValueError(f"windows {a.name!r} ({a.start_utc}-{a.end_utc}) and {b.name!r} "
                                     f"({b.start_utc}-{b.end_utc}) overlap: a time of day has one price")
        return windows

    @cached_property
    def entry_id(self) -> str:
        """``provider/model@YYYY-MM-DD`` (with the time when it is not midnight UTC)."""
        when = self.effective_from.astimezone(UTC)
        stamp = when.strftime("%Y-%m-%d") if when.time() == time(0) else when.strftime("%Y-%m-%dT%H:%M")
        return f"{self.provider}/{self.model}@{stamp}"


class ProviderFile(_Strict):
    """One ``prices/<provider>.yml``."""

    provider: str
    models: dict[str, list[PriceEntry]]


@dataclass(frozen=True)
class PriceChange:
    """A new entry replacing an earlier one."""

    previous: PriceEntry
    current: PriceEntry


@dataclass
class PriceBook:
    """All entries, by (provider, model), sorted by ``effective_from``."""

    entries_by_model: dict[tuple[str, str], list[PriceEntry]]
    version: str

    def entries(self, provider: str, model: str) -> list[PriceEntry]:
        """The price history of one model; unknown models get "did you mean"."""
        try:
            return self.entries_by_model[(provider, model)]
        except KeyError:
            known = [f"{p}/{m}" for p, m in self.entries_by_model]
            raise UnknownModel(f"No prices for {provider}/{model} in the price book: add an entry in a file listed in "
                               f"[prices] paths of costbench.toml, or set price_as on the provider."
                               f"{did_you_mean(f'{provider}/{model}', known)}") from None

    def price_for(self, provider: str, model: str, at: datetime) -> PriceEntry:
        """The entry in force at ``at`` (the latest with effective_from ≤ at)."""
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        history = self.entries(provider, model)
        for entry in reversed(history):  # newest first: the usual call is priced by the latest entry
            if entry.effective_from <= at:
                return entry
        first = history[0].effective_from
        raise PriceNotFound(f"No price for {provider}/{model} at {at.isoformat()} in costbench/prices/{provider}.yml; "
                            f"the first entry starts {first.isoformat()}: add one with effective_from <= that time")

    def changes(self) -> list[PriceChange]:
        """Every price change (an entry that replaced an earlier one), oldest first."""
        out = [PriceChange(prev, cur) for history in self.entries_by_model.values()
               for prev, cur in zip(history, history[1:], strict=False)]
        return sorted(out, key=lambda c: c.current.effective_from)

    def all_entries(self) -> list[PriceEntry]:
        """Every entry of every model."""
        return [e for history in self.entries_by_model.values() for e in history]


def _explain(path: Path, data: Any, exc: ValidationError) -> str:
    # A misspelt key also makes the right key "missing": report the misspelling, it is the cause.
    err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc)
    if len(loc) >= 3 and loc[0] == "models":
        try:
            entry = data["models"][loc[1]][int(loc[2])]
            where = f"{loc[1]} entry effective_from={entry.get('effective_from')}: field {'.'.join(loc[3:])}"
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):
            pass
    hint = ""
    if err["type"] == "extra_forbidden":
        hint = did_you_mean(loc[-1], [*PriceEntry.model_fields, *Rates.model_fields, *Tier.model_fields])
    return f"{path}: {where}: {err['msg'].removeprefix('Value error, ')}.{hint}".replace("..", ".")


def load_file(path: Path) -> ProviderFile:
    """Parse and validate one price file; errors name file, entry and field."""
    data = read_yaml(path)
    try:
        parsed = ProviderFile.model_validate(data)
    except ValidationError as exc:
        raise PriceBookError(_explain(path, data, exc)) from None
    models = {m: sorted((e.model_copy(update={"provider": parsed.provider, "model": m}) for e in entries),
                        key=lambda e: e.effective_from) for m, entries in parsed.models.items()}
    for model, entries in models.items():
        stamps = [e.effective_from for e in entries]
        if len(stamps) != len(set(stamps)):
            raise PriceBookError(f"{path}: {model}: two entries share an effective_from; a change is a NEW later entry")
    return parsed.model_copy(update={"models": models})


def _by_model(paths: list[Path], digest: Any) -> dict[tuple[str, str], dict[str, PriceEntry]]:
    found: dict[tuple[str, str], dict[str, PriceEntry]] = {}
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        for model, entries in load_file(path).models.items():
            for entry in entries:
                found.setdefault((entry.provider, model), {})[entry.entry_id] = entry
    return found


def _yaml_files(paths: list[Path]) -> list[Path]:
    """Files, and the ``*.yml`` of folders, in the given order; a missing path is an error."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.glob("*.yml") if p.name != "fx.yml")
        elif path.is_file():
            out.append(path)
        else:
            raise PriceBookError(f"{path}: price file or folder not found (listed in [prices] paths)")
    return out


def load_pricebook(directory: Path | None = None, overrides: list[Path] | None = None,
                   imported: list[Path] | None = None) -> PriceBook:
    """Load the price book: imported upstream files, then own files, then user files (``overrides``).

    Precedence is per (provider, model): a model defined by an own file (``<dir>/*.yml``) ignores every
    imported entry (``<dir>/imported/*.yml`` and the ``imported`` paths); a model defined by a user file
    (``[prices] paths``: files or folders) ignores the packaged history; other models extend the book.
    """
    root = directory or PRICES_DIR
    own_files = [p for p in sorted(root.glob("*.yml")) if p.name != "fx.yml"]
    if not own_files:
        raise PriceBookError(f"{root}: no price files (*.yml)")
    digest = hashlib.sha256()
    upstream = sorted((root / "imported").glob("*.yml")) + _yaml_files([p for p in imported or [] if p.exists()])
    merged = {**_by_model(upstream, digest), **_by_model(own_files, digest),
              **_by_model(_yaml_files(list(overrides or [])), digest)}
    grouped = {key: sorted(entries.values(), key=lambda e: e.effective_from) for key, entries in merged.items()}
    return PriceBook(grouped, digest.hexdigest()[:12])


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a price file, for editors (committed as ``prices/schema.json``)."""
    schema = ProviderFile.model_json_schema()
    schema["title"] = "costbench price file"
    return schema
