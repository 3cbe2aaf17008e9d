"""Helpers shared by the importers: reading JSON/CSV files with one-line errors, and row locations."""

from __future__ import annotations

import csv
import json
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costbench.errors import UsageError, did_you_mean


class BillError(UsageError):
    """An export file (or one of its rows) cannot be imported."""


@dataclass
class Locator:
    """Maps a staged line number back to (file, line) when rows come from several files (a JSONL tree)."""

    starts: list[int] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def add(self, first_line: int, path: Path) -> None:
        """Rows numbered from ``first_line + 1`` on come from ``path``."""
        self.starts.append(first_line)
        self.files.append(path)

    def where(self, line: int, default: Path) -> str:
        """``file:line`` of a staged line number."""
        if not self.starts:
            return f"{default}:{line}"
        i = bisect_right(self.starts, line - 1) - 1
        return f"{self.files[i]}:{line - self.starts[i]}"


def read_json(path: Path) -> Any:
    """A JSON file with exact decimals; a syntax error is one line naming file, line and column."""
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise BillError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except UnicodeDecodeError:
        raise BillError(f"{path}: not UTF-8 text; export it again as JSON") from None


def csv_header(path: Path, required: list[str], fmt: str) -> list[str]:
    """The header of a CSV file, checked for the columns ``fmt`` needs."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise BillError(f"{path}:1: {fmt} export lacks column {missing[0]!r}.{did_you_mean(missing[0], header)} "
                        f"Export it again, or import it with --format csv --map FILE")
    return header


def csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line, row) pairs of a small CSV file (line numbers of each row's first line)."""
    out = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        line = reader.line_num + 1
        for record in reader:
            out.append((line, {(k or "").strip(): v for k, v in record.items()}))
            line = reader.line_num + 1
    return out


def dig(record: Any, *keys: str) -> Any:
    """``record[k1][k2]...`` or None when any level is missing."""
    for key in keys:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


@dataclass
class ReadContext:
    """What an importer may need besides the path."""

    con: Any
    """The DuckDB connection (bulk CSV readers stage rows in SQL)."""
    skip_bad: bool = False
    mapping: dict[str, Any] = field(default_factory=dict)
    """The parsed ``--map`` file (generic CSV columns; ``models:`` overrides for every format)."""
    skipped: list[str] = field(default_factory=list)
    """One line per record skipped while reading (unparsable JSON lines under --skip-bad)."""
