"""The exception tree of costbench.

    CostbenchError                 every error the CLI turns into one line and exit code 1
    ├── ConfigError                costbench.toml (or another input file) is wrong
    ├── CatalogError               a task file in tasks_catalog/ is wrong
    ├── UnknownModel               a provider/model that no config, persona or price entry knows
    ├── PriceNotFound              no price-book entry covers a call's time
    ├── PriceBookError             a price-book YAML file is wrong
    ├── UsageError                 a response or usage payload cannot be normalized
    ├── StoreError                 DuckDB / landing journal problems
    ├── QualityError               the data-quality gate could not run
    ├── BudgetExceeded             a run would spend more than its cap
    └── ProviderError              a provider call failed (retryable or not)

Messages name the file and field, say what to do, and add "Did you mean: …" where a near match exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CostbenchError(Exception):
    """Base class: the CLI prints ``str(error)`` on one line and exits with code 1."""


class ConfigError(CostbenchError):
    """A configuration or input file is invalid."""


class CatalogError(CostbenchError):
    """A task file is invalid."""


class UnknownModel(CostbenchError):
    """A provider/model pair that nothing knows."""


class PriceNotFound(CostbenchError):
    """No price entry covers the requested model and time."""


class PriceBookError(CostbenchError):
    """A price-book data file is invalid."""


class UsageError(CostbenchError):
    """A usage payload cannot be normalized."""


class StoreError(CostbenchError):
    """The DuckDB store or the landing journal cannot be used."""


class QualityError(CostbenchError):
    """The data-quality gate could not be evaluated."""


class BudgetExceeded(CostbenchError):
    """Spending would pass the run or daily cap."""


class ProviderError(CostbenchError):
    """A provider call failed.

    Attributes:
        retryable: whether sending the same request again may succeed.
        status: HTTP status code, if there was a response.
        retry_after: seconds the provider asked us to wait, if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean: a, b?"`` for close matches of ``word``, or an empty string."""
    matches = difflib.get_close_matches(word, list(dict.fromkeys(choices)), n=3, cutoff=0.5)
    return f" Did you mean: {', '.join(matches)}?" if matches else ""
