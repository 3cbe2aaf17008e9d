"""The adapter contract every provider dialect implements.

An adapter is pure: it builds the HTTP request for a conversation, parses a response body (or a stream
of server-sent events) into a :class:`Completion` with a normalized :class:`~costbench.usage.Usage`,
and classifies errors as retryable or not. It never does I/O; the runner owns the HTTP client.
Secrets are not part of :class:`HttpRequest`: the runner puts :meth:`Adapter.auth_headers` on the
client, so a request can be logged or stored without leaking a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

from costbench.errors import ProviderError, UsageError
from costbench.usage import Usage

Message = dict[str, str]


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request, relative to the provider's base URL. Never holds a secret."""

    method: str
    path: str
    json: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool = False


@dataclass(frozen=True)
class Completion:
    """What a call returned: the text, the normalized usage and everything raw."""

    text: str
    usage: Usage
    raw_usage: dict[str, Any] | None
    raw: Any
    """The response body as received (a dict, or the list of stream events)."""
    model: str | None = None
    finish_reason: str | None = None


class Adapter:
    """Base class: one subclass per dialect, registered by name in ``costbench.providers``."""

    dialect: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    api_key_env: ClassVar[str] = ""

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Headers that carry the key (set on the client, never stored)."""
        return {"Authorization": f"Bearer {api_key}"}

    def build_request(
        self,
        model: str,
        messages: Sequence[Message],
        max_output_tokens: int,
        *,
        cache_breakpoints: Sequence[int] = (),
        cache_ttl: str = "5m",
        stream: bool = False,
    ) -> HttpRequest:
        """The request for one turn of a conversation."""
        raise NotImplementedError

    def parse(self, body: Mapping[str, Any]) -> Completion:
        """Parse a non-streaming response body."""
        raise NotImplementedError

    def parse_stream(self, events: Iterable[Mapping[str, Any]]) -> Completion:
        """Parse the decoded JSON payloads of a server-sent-event stream, in order."""
        raise NotImplementedError

    def normalize_usage(self, raw_usage: Mapping[str, Any]) -> Usage:
        """Map this dialect's usage object onto :class:`Usage`."""
        raise NotImplementedError

    def classify_error(
        self, status: int, body_text: str, headers: Mapping[str, str]
    ) -> ProviderError:
        """Turn an HTTP error into a :class:`ProviderError`; 408/409/429/5xx are retryable."""
        retryable = status in (408, 409, 429) or status >= 500
        retry_after = _retry_after(headers)
        snippet = body_text[:200].replace("\n", " ")
        return ProviderError(
            f"{self.dialect}: HTTP {status}: {snippet}",
            retryable=retryable,
            status=status,
            retry_after=retry_after,
        )


def require_counters(dialect: str, raw: Mapping[str, Any], *required: str) -> None:
    """Usage without the dialect's counters is unreadable: an error naming what was found, never zeros."""
    missing = [key for key in required if not isinstance(raw.get(key), int) or isinstance(raw.get(key), bool)]
    if missing:
        found = ", ".join(sorted(map(str, raw))) or "nothing"
        raise UsageError(f"{dialect}: unreadable usage: no integer {', '.join(missing)} (found: {found}); "
                         f"check the dialect of this provider")


_SECONDS = re.compile(r"\s*(\d+)(\.\d+)?\s*")


def _retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the provider asks to wait, or None when it says nothing usable.

    Read in the order the openai SDK reads them (``openai/_base_client.py``, ``_parse_retry_after_header``):
    ``retry-after-ms`` (milliseconds; OpenAI, Azure), then ``Retry-After`` as delay-seconds or as an
    HTTP-date (RFC 9110 §10.2.3). Anything else ("inf", "nan", "-1", "soon", a bad date) is ignored, as a
    malformed field should be, and the caller falls back to its own backoff; a date in the past means 0.
    The value is not capped here: the runner refuses to wait past ``[run] max_retry_after_s``.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    for name, unit in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        match = _SECONDS.fullmatch(lower.get(name) or "")
        if match:
            return float(match.group(1) + (match.group(2) or "")) * unit
    value = lower.get("retry-after")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 HTTP-dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
