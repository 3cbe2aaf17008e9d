"""The normalized usage of one call, the same for every provider dialect.

Adapters map each provider's counters into these fields (see ../docs/usage.md and the citations in
``costbench/providers/``); the raw usage and the raw response body are always stored next to it, so a
mapping bug is fixed by re-deriving from raw, never by re-running.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

TOKEN_FIELDS = (
    "input_uncached_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call, in the provider's billing units."""

    input_uncached_tokens: int = 0
    """Input tokens billed at the full input price: EXCLUDES cache reads and cache writes."""
    cache_read_tokens: int = 0
    """Input tokens served from a prompt cache (billed at the cache-read price)."""
    cache_write_5m_tokens: int = 0
    """Input tokens written to a cache with a 5-minute TTL (or an unreported TTL)."""
    cache_write_1h_tokens: int = 0
    """Input tokens written to a cache with a 1-hour TTL."""
    output_tokens: int = 0
    """All billed output tokens: INCLUDES reasoning/thinking tokens."""
    reasoning_tokens: int = 0
    """Reasoning tokens: a subset of ``output_tokens``, informational only (never billed twice)."""
    provider_reported_cost: Decimal | None = None
    """The provider's own figure for this call's cost in USD (OpenRouter ``usage.cost``), if it sent one."""

    @property
    def total_input_tokens(self) -> int:
        """All input tokens: uncached + cache reads + cache writes."""
        return (
            self.input_uncached_tokens
            + self.cache_read_tokens
            + self.cache_write_5m_tokens
            + self.cache_write_1h_tokens
        )

    def __add__(self, other: Usage) -> Usage:
        """Sum two usages; provider costs add when both are known, else stay unknown."""
        if not isinstance(other, Usage):
            return NotImplemented
        sums = {name: getattr(self, name) + getattr(other, name) for name in TOKEN_FIELDS}
        cost = None
        if self.provider_reported_cost is not None and other.provider_reported_cost is not None:
            cost = self.provider_reported_cost + other.provider_reported_cost
        return Usage(**sums, provider_reported_cost=cost)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the provider cost is a string so it stays exact."""
        cost = self.provider_reported_cost  # (built by hand: dataclasses.asdict deep-copies, 5x slower)
        return {"input_uncached_tokens": self.input_uncached_tokens, "cache_read_tokens": self.cache_read_tokens,
                "cache_write_5m_tokens": self.cache_write_5m_tokens,
                "cache_write_1h_tokens": self.cache_write_1h_tokens, "output_tokens": self.output_tokens,
                "reasoning_tokens": self.reasoning_tokens,
                "provider_reported_cost": None if cost is None else str(cost)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown usage field(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        cost = values.get("provider_reported_cost")
        values["provider_reported_cost"] = None if cost is None else Decimal(str(cost))
        return cls(**values)
