"""Keep API keys out of everything costbench writes.

Keys come only from environment variables. Anything that may echo one back (a provider's error body,
an exception message) passes through :func:`redact` before it reaches the journal, DuckDB, logs,
reports or an exception.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

REDACTED = "[REDACTED]"

# Shapes of real keys, redacted even when we do not know the key (e.g. another provider's key echoed back).
_KEY_SHAPES = re.compile(r"(sk-ant-[A-Za-z0-9_\-]{8,}|sk-[A-Za-z0-9_\-]{16,}|AIza[0-9A-Za-z_\-]{20,}|xai-[A-Za-z0-9]{16,})")


def known_keys(variables: Iterable[str]) -> list[str]:
    """The values of the given key variables that are set (longest first)."""
    values = {os.environ[v] for v in variables if os.environ.get(v)}
    return sorted((v for v in values if len(v) >= 6), key=len, reverse=True)


def redact(text: str | None, keys: Iterable[str] = ()) -> str | None:
    """``text`` with every known key, and anything shaped like a key, replaced by ``[REDACTED]``."""
    if not text:
        return text
    for key in keys:
        text = text.replace(key, REDACTED)
    return _KEY_SHAPES.sub(REDACTED, text)
