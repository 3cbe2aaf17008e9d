"""A regex extractor for invoices: the fields a careful regular expression can find, and nothing clever."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?"
_MONEY = [re.compile(rf"\b(?P<cur>[A-Z]{{3}})\s*(?P<amt>{_AMOUNT})\b"), re.compile(rf"(?P<amt>{_AMOUNT})\s*(?P<cur>[A-Z]{{3}})\b")]
_NUMBER = re.compile(r"(?:invoice|fatura|facture)\s*(?:no\.|n°|number|#)?\s*([A-Z0-9]+(?:[-/][A-Z0-9]+)*)", re.I)
_DATES = [(re.compile(r"\b(\d{4}-\d{2}-\d{2})\b"), "%Y-%m-%d"),
          (re.compile(r"\b(\d{1,2} [A-Z][a-z]+ \d{4})\b"), "%d %B %Y"),
          (re.compile(r"\b([A-Z][a-z]+ \d{1,2}),? (\d{4})\b"), "%B %d %Y")]
_VENDOR = re.compile(r"^(?:[^—:]*?\bfrom\s+)?([A-Z][\w&.'’ ]*?(?:GmbH|Ltd|Inc|SARL|KK|Co\.|Labs|Traders|Logistics|"
                     r"Energie|Analytics|Robotics))\b\.?")


def _money(text: str) -> tuple[str | None, float | None]:
    for pattern in _MONEY:
        found = pattern.search(text)
        if found:
            return found["cur"], float(Decimal(found["amt"].replace(",", "")))
    return None, None


def _due(text: str) -> str | None:
    for pattern, fmt in _DATES:
        found = pattern.search(text)
        if found:
            try:
                return datetime.strptime(" ".join(found.groups()), fmt).date().isoformat()
            except ValueError:
                continue
    return None


def invoice_fields(text: str) -> str:
    """vendor, invoice_number, total, currency and due_date as a JSON block (fields it cannot find are null)."""
    currency, total = _money(text)
    number = _NUMBER.search(text)
    vendor = _VENDOR.search(text) or re.search(r"\bfrom\s+([A-Z][\w&.' ]+?)[!.,]", text)
    fields = {"vendor": vendor.group(1).strip() if vendor else None, "invoice_number": number.group(1) if number else None,
              "total": total, "currency": currency, "due_date": _due(text)}
    return "```json\n" + json.dumps(fields, ensure_ascii=False) + "\n```"
