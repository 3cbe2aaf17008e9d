"""Load ``costbench.toml``: paths, run settings, budgets, providers and the model roster.

Validation is strict (unknown keys are errors, with "did you mean"); relative paths are resolved
against the config file's directory. Secrets never live here: each provider names the environment
variable that holds its key (``api_key_env``).
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from costbench.errors import ConfigError, did_you_mean

EMULATOR = "emulator"
"""A provider ``base_url`` of "emulator" means: the local emulator started (or pointed to) by costbench."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paths(_Strict):
    """Where costbench reads and writes; relative to the config file."""

    db: Path = Path("var/costbench.duckdb")
    landing: Path = Path("var/landing")
    site: Path = Path("site")
    catalog: Path = Path("tasks_catalog")


class RunSettings(_Strict):
    """How a run behaves."""

    repeats: int = Field(1, ge=1)
    """Attempts per (model, case); all are paid and all count in cost per solved task."""
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(4, ge=0)
    """Retries per call for retryable errors (429, 5xx, timeouts), with backoff and jitter."""
    max_retry_after_s: float = Field(120.0, gt=0)
    """Longest ``Retry-After`` the runner waits; a provider asking for longer fails the call with that reason."""
    tasks: list[str] = []
    """Task ids to run (empty = the whole catalog)."""
    cases_per_task: int = Field(0, ge=0)
    """Cases of each task per run (0 = all): a window that moves with the run's date, so consecutive nights
    cover every case while a night's calls (and bill) stay bounded."""
    processes: int = Field(1, ge=1, le=64)
    """Runner processes (forked); each plays every N-th attempt with 1/N of every provider's limits.
    One process does 2,000+ calls/s; more only help against a fast endpoint with free cores."""
    db_lock_wait_s: float = Field(60.0, ge=0)
    """How long loading a finished run waits for another process to release the DuckDB writer lock."""
    sampling: Literal["full", "adaptive"] = "full"
    """``full`` sends every case x repeat to every model; ``adaptive`` samples in rounds until each
    model's cost per solved task is known to ``target_halfwidth_pct`` (see docs/analytics.md)."""
    target_halfwidth_pct: float = Field(10.0, gt=0, le=100)
    """Adaptive sampling: stop a model once its 95 % interval is within this many percent."""
    window_nights: int = Field(14, ge=0, le=366)
    """Adaptive sampling: earlier nights (quality-passed runs) pooled into each model's interval."""
    initial_fraction: float = Field(0.1, gt=0, le=1)
    """Adaptive sampling: share of every task's cases in the first round (at least one per task)."""
    max_rounds: int = Field(6, ge=1, le=50)
    coverage_nights: int = Field(3, ge=1, le=31)
    """Adaptive sampling: every task of every model is sampled at least once in this many consecutive nights
    (1 = every night); a task sampled more recently may be skipped tonight once the interval is tight."""
    seed: int = 0
    """Seed of the case order in adaptive rounds: the same seed gives the same design."""


class Budget(_Strict):
    """Hard caps in USD; a run refuses to start (or stops sending) before passing them."""

    per_run_usd: Decimal = Decimal("5")
    per_day_usd: Decimal = Decimal("20")

    @field_validator("per_run_usd", "per_day_usd", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("write money as a string, e.g. \"5.00\", so it stays exact")
        return value

    @field_validator("per_run_usd", "per_day_usd")
    @classmethod
    def _not_negative(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value < 0:
            raise ValueError(f"a budget cannot be {value}: write a cap of 0 or more USD, e.g. \"5.00\"")
        return value


class QualitySettings(_Strict):
    """The data-quality gate's thresholds."""

    max_failed_share: float = Field(0.1, ge=0, le=1)
    """A model whose failed calls pass this share of its calls fails the gate (the run is quarantined)."""


class EmulatorSettings(_Strict):
    """The local emulator that providers with ``base_url = "emulator"`` talk to."""

    url: str | None = None
    """Use an emulator already running at this URL; unset = start one in-process for the run."""
    seed: int = 0
    latency_ms: int = Field(0, ge=0)


class PriceSettings(_Strict):
    """User price books: extend and override the packaged one (same validation), never edit the package."""

    paths: list[Path] = []
    """Price files or folders of ``*.yml`` (relative to the config file); a model they define replaces the
    packaged history of that model, other models extend the book."""
    imported: Path = Path("var/prices/imported")
    """Where ``costbench prices import`` and the price-snapshot flow write upstream entries (lowest precedence)."""


class Provider(_Strict):
    """One provider endpoint: dialect, base URL, key variable and limits."""

    dialect: str
    price_as: str | None = None
    """Price this provider's calls with another provider's entries, e.g. a gateway fronting OpenAI: "openai"."""
    base_url: str = EMULATOR
    api_key_env: str | None = None
    """Environment variable holding the key; default: the dialect's (e.g. OPENAI_API_KEY)."""
    concurrency: int = Field(8, ge=1)
    rpm: int | None = Field(None, ge=1)
    tpm: int | None = Field(None, ge=1)
    stream: bool = False
    idempotency: bool | None = None
    """Whether the endpoint honours an ``Idempotency-Key`` header (a retried request is billed once).
    Default: true for the emulator, false for a real API. Without it a timed-out request is not retried
    and is charged at its worst case (docs/runner.md, "Timeouts and idempotency")."""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_base_url(value)

    @property
    def emulated(self) -> bool:
        """True when this provider is the local emulator (results are simulated)."""
        return self.base_url == EMULATOR

    @property
    def idempotent(self) -> bool:
        """True when a retry with the same ``Idempotency-Key`` cannot be billed twice."""
        return self.emulated if self.idempotency is None else self.idempotency


class ModelRef(_Strict):
    """One configured model."""

    provider: str
    model: str

    @property
    def name(self) -> str:
        """``provider/model``."""
        return f"{self.provider}/{self.model}"


DEFAULT_ROLES: dict[str, list[str]] = {
    "default": ["code"],
    "background": ["classification", "extraction"],
    "think": ["math"],
    "longContext": ["long_context"],
    "grammar": ["grammar"],
    "chinese": ["segmentation", "translation_en_zh", "translation_zh_en", "translation_zh_fr"],
}
"""``costbench route``'s roles: each is a list of catalog categories or task ids. The first six names that
Claude Code Router knows (default, background, think, longContext, webSearch, image) go into its config."""


class Config(_Strict):
    """The whole configuration."""

    paths: Paths = Paths()
    run: RunSettings = RunSettings()
    budget: Budget = Budget()
    quality: QualitySettings = QualitySettings()
    emulator: EmulatorSettings = EmulatorSettings()
    prices: PriceSettings = PriceSettings()
    providers: dict[str, Provider]
    models: list[ModelRef]
    roles: dict[str, list[str]] = DEFAULT_ROLES
    """Role name → catalog categories or task ids (``[roles]``); see :data:`DEFAULT_ROLES`."""
    source: Path = Path("costbench.toml")
    """The file this config came from (set by :func:`load_config`)."""
    hash: str = ""
    """Content hash of the file (set by :func:`load_config`): recorded on every run."""

    def provider(self, name: str) -> Provider:
        """The provider ``name``; unknown names get a "did you mean"."""
        try:
            return self.providers[name]
        except KeyError:
            hint = did_you_mean(name, self.providers)
            raise ConfigError(f"{self.source}: unknown provider {name!r}.{hint}") from None

    def pricing_names(self) -> dict[str, str]:
        """provider name → the provider whose prices it uses (only where ``price_as`` is set)."""
        return {name: p.price_as for name, p in self.providers.items() if p.price_as}

    def model(self, name: str) -> ModelRef:
        """The model ``provider/model``."""
        for ref in self.models:
            if ref.name == name:
                return ref
        hint = did_you_mean(name, [m.name for m in self.models])
        raise ConfigError(f"{self.source}: model {name!r} is not in [[models]].{hint}")


def check_base_url(value: str) -> str:
    """``"emulator"`` or an absolute http(s) URL with a host; anything else is refused at load."""
    from urllib.parse import urlsplit

    if value == EMULATOR:
        return value
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        ok = False
    if not ok:
        hint = did_you_mean(value, [EMULATOR])
        raise ValueError(f"{value!r} is not an http(s) URL nor \"emulator\"; write e.g. \"https://api.deepseek.com\"."
                         f"{hint}")
    return value


def load_config(path: str | Path = "costbench.toml") -> Config:
    """Read, validate and resolve a config file."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{source}: config file not found; pass --config or create costbench.toml") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(source, exc)) from None
    _check_models(source, cfg)
    base = source.resolve().parent
    paths = Paths(**{k: base / v for k, v in cfg.paths.model_dump().items()})
    prices = PriceSettings(paths=[base / p for p in cfg.prices.paths], imported=base / cfg.prices.imported)
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return cfg.model_copy(update={"paths": paths, "prices": prices, "source": source, "hash": digest})


def api_key(cfg: Config, provider_name: str, default_env: str) -> str | None:
    """The key for a provider from its environment variable (None for the emulator)."""
    provider = cfg.provider(provider_name)
    if provider.emulated:
        return f"emulator-key-{provider_name}"
    env = provider.api_key_env or default_env
    key = os.environ.get(env)
    if not key:
        raise ConfigError(
            f"{cfg.source}: provider {provider_name!r} needs an API key: set the environment variable {env}"
        )
    if any(c in key for c in "\r\n\x00"):  # it would inject headers; the value itself is never shown
        raise ConfigError(f"the environment variable {env} holds a line break or NUL (often a trailing newline "
                          f"from a file or `echo`): set it to the key alone")
    return key


def _check_models(source: Path, cfg: Config) -> None:
    for i, ref in enumerate(cfg.models):
        if ref.provider not in cfg.providers:
            hint = did_you_mean(ref.provider, cfg.providers)
            raise ConfigError(
                f"{source}: field 'models[{i}].provider': unknown provider {ref.provider!r}; "
                f"add a [providers.{ref.provider}] table.{hint}"
            )
    if not cfg.models:
        raise ConfigError(f"{source}: field 'models': add at least one [[models]] entry")


def _explain(source: Path, exc: ValidationError) -> str:
    # A misspelt key also makes the right key "missing": report the misspelling, it is the cause.
    err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        parent = _model_at(Config, loc[:-1])
        known = list(parent.model_fields) if parent else []
        hint = did_you_mean(loc[-1], known)
        return f"{source}: field {where!r}: unknown key.{hint}".rstrip()
    return f"{source}: field {where!r}: {err['msg'].removeprefix('Value error, ')}"


def _model_at(model: type[BaseModel], loc: list[str]) -> type[BaseModel] | None:
    """The pydantic model at an error location (list indices and dict keys are stepped over)."""
    current: type[BaseModel] | None = model
    skip_key = False
    for part in loc:
        if skip_key or part.isdigit() or current is None:
            skip_key = False
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        skip_key = getattr(annotation, "__origin__", None) is dict
        current = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return current
