"""Number formatting shared by the report site and the CLI tables (display only: data keeps full precision).

Money shows 3 significant digits with thousands separators (``$0.267``, ``$2.17``, ``$1,234``); small
per-task costs are shown per 1,000 solved tasks; intervals stay on one line; anything missing shows "—".
JSON and CSV keep exact decimals, written without exponents (``exact``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

NONE = "—"
"""What a value that is not there looks like (never 0)."""
MINUS = "−"
PER = 1000
"""Per-task costs are shown per this many solved tasks."""


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def sig(value: Decimal | float | int | None, digits: int = 3) -> str:
    """``value`` rounded to ``digits`` significant digits (never fewer than its integer digits), with separators."""
    if value is None:
        return NONE
    amount = _dec(value)
    if not amount.is_finite():
        return NONE
    if amount == 0:
        return "0"
    places = max(0, digits - 1 - amount.adjusted())
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if rounded != 0 and rounded.adjusted() > amount.adjusted() and places > 0:  # 0.09996 → 0.100, not 0.1000
        places -= 1
        rounded = rounded.quantize(Decimal(1).scaleb(-places))
    text = f"{abs(rounded):,.{places}f}"
    return f"{MINUS if rounded < 0 else ''}{text}"


def usd(value: Decimal | float | None, digits: int = 3) -> str:
    """``$0.00267``, ``$2.17``, ``$1,234``: 3 significant digits, a real minus sign."""
    text = sig(value, digits)
    if text == NONE:
        return text
    return f"{MINUS}${text[1:]}" if text.startswith(MINUS) else f"${text}"


def usd_per_k(value: Decimal | float | None) -> str:
    """A per-task cost shown per 1,000 tasks: ``0.000267`` → ``$0.267``."""
    return NONE if value is None else usd(_dec(value) * PER)


def interval(low: Decimal | float | None, high: Decimal | float | None, scale: int = PER) -> str:
    """``$0.241–$0.295`` per ``scale`` tasks (templates put it in a ``nowrap`` cell: one line)."""
    if low is None or high is None:
        return NONE
    return f"{usd(_dec(low) * scale)}–{usd(_dec(high) * scale)}"


def tokens(value: int | float | Decimal | None, places: int = 0) -> str:
    """``1,234,567`` (or ``2,735.7`` with ``places=1``)."""
    if value is None:
        return NONE
    return f"{float(value):,.{places}f}"


def pct(value: float | Decimal | None, places: int = 1) -> str:
    """``42.0 %`` for a 0..1 rate."""
    return NONE if value is None else f"{float(value) * 100:.{places}f}\u00a0%".replace("-", MINUS)


def signed_pct(value: float | Decimal | None, places: int = 1) -> str:
    """``−50.0 %`` / ``+4.1 %`` for a value already in percent."""
    return NONE if value is None else f"{float(value):+.{places}f}\u00a0%".replace("-", MINUS)


def ratio(value: float | Decimal | None) -> str:
    """``1.23×``."""
    return NONE if value is None else f"{float(value):.2f}×"


def exact(value: Any) -> Any:
    """A JSON/CSV-safe value: Decimals as exact fixed-point strings (``0E-12`` → ``0.000000000000``)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def cell(column: str, value: Any) -> str:
    """One CLI table cell, formatted by its column's name (``*_usd`` money, ``*_rate`` percent, …)."""
    if value is None:
        return NONE
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if column.endswith("_pct"):
        return signed_pct(value)
    if column.endswith("_usd") or column.endswith("_per_mtok_usd"):
        return usd(value)
    if column.endswith("_ratio"):
        return ratio(value)
    if column.endswith(("_rate", "_share")):
        return pct(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (float, Decimal)):
        return sig(value)
    return str(exact(value))


def table(rows: list[dict[str, Any]]) -> str:
    """An aligned text table for the terminal, numbers formatted by :func:`cell`; numbers align right."""
    if not rows:
        return "(no rows)"
    cols = list(rows[0])
    cells = [[cell(c, r[c]) for c in cols] for r in rows]
    numeric = [all(not isinstance(r[c], str) for r in rows) for c in cols]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)).rstrip()

    return "\n".join([line(cols), *(line(row) for row in cells)])
