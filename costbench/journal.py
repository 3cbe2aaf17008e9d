"""The landing journal: one JSON line per finished call, fsynced before the call counts as done.

Layout: ``<landing>/<run_id>/run.json`` (the run's manifest) and ``<landing>/<run_id>/<shard>.jsonl``
(append-only, one file per worker shard, so many workers can write at once). Before a request is
sent, an intent line goes to ``<shard>.sent.jsonl``: a request that was sent but never landed is
"in doubt" on resume (it may have been answered and paid).

Writes use group commit: concurrent appends are written together and fsynced once, and each
``append`` returns only after its line is on disk.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costbench.errors import StoreError

MANIFEST = "run.json"


def run_dir(landing: Path, run_id: str) -> Path:
    """The landing folder of one run."""
    return landing / run_id


def write_manifest(landing: Path, run_id: str, manifest: dict[str, Any]) -> None:
    """Write (or keep) the run's manifest; an existing one is never changed."""
    folder = run_dir(landing, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    if path.exists():
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(landing: Path, run_id: str) -> dict[str, Any]:
    """The run's manifest; a clear error when the run never started here."""
    path = run_dir(landing, run_id) / MANIFEST
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{path}: no such run in the landing folder; check the run id and paths.landing") from None
    return data


@dataclass
class ShardLines:
    """The complete records of one journal file, and whether a torn last line was found."""

    records: list[dict[str, Any]]
    torn_tail: bool


def read_lines(path: Path) -> ShardLines:
    """Read a JSONL journal. A last line without newline (a crash mid-write) is torn, not landed."""
    data = path.read_bytes() if path.exists() else b""
    torn = bool(data) and not data.endswith(b"\n")
    lines = data.split(b"\n")
    complete = lines[:-1]
    records = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise StoreError(f"{path}:{number}: corrupt journal line ({exc}); move the file aside and resume") from None
    return ShardLines(records, torn)


def landed_records(landing: Path, run_id: str) -> dict[str, dict[str, Any]]:
    """Every landed call of a run, across shards, by call_id."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(run_dir(landing, run_id).glob("*.jsonl")):
        if path.name.endswith(".sent.jsonl"):
            continue
        for record in read_lines(path).records:
            found.setdefault(record["call_id"], record)
    return found


def sent_intents(landing: Path, run_id: str) -> dict[str, dict[str, Any]]:
    """Every call a worker of this run was about to send (the intent log), by call_id."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(run_dir(landing, run_id).glob("*.sent.jsonl")):
        for record in read_lines(path).records:
            found[record["call_id"]] = record
    return found


def _repair_tail(path: Path) -> None:
    """Cut a torn last line so new appends start on a fresh line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


@dataclass
class JournalWriter:
    """Append-only writer of one shard with group commit (use from one event loop)."""

    path: Path
    _pending: list[tuple[bytes, asyncio.Future[None]]] = field(default_factory=list)
    _flusher: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _repair_tail(self.path)
        self._fh = self.path.open("ab")

    async def append(self, record: dict[str, Any]) -> None:
        """Append one record; returns once it is fsynced."""
        line = json.dumps(record, ensure_ascii=False, default=str).encode() + b"\n"
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((line, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop())
        await future

    async def _flush_loop(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._write, b"".join(line for line, _ in batch))
            except OSError as exc:
                for _, fut in batch:
                    fut.set_exception(StoreError(f"{self.path}: cannot write the journal: {exc}"))
                continue
            for _, fut in batch:
                fut.set_result(None)

    def _write(self, data: bytes) -> None:
        self._fh.write(data)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file (pending appends must have been awaited)."""
        self._fh.close()
