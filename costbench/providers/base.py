"""The adapter contract every provider dialect implements.

An adapter is pure: it builds the HTTP request for a conversation, parses a response body (or a stream
of server-sent events) into a :class:`Completion` with a normalized :class:`~costbench.usage.Usage`,
and classifies errors as retryable or not. It never does I/O; the runner owns the HTTP client.
Secrets are not part of :class:`HttpRequest`: the runner puts :meth:`Adapter.auth_headers` on the
client, so a request can be logged or stored without leaking a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from costbench.errors import ProviderError
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


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
