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
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from costbench.errors import ConfigError, StoreError, did_you_mean

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


def run_ids(landing: Path) -> list[str]:
    """Every run that has a manifest in the landing folder."""
    return sorted(p.parent.name for p in landing.glob(f"*/{MANIFEST}")) if landing.is_dir() else []


def require_run(landing: Path, run_id: str) -> None:
    """Refuse to resume a run that never started here (before anything is sent), with "did you mean"."""
    if (run_dir(landing, run_id) / MANIFEST).is_file():
        return
    known = run_ids(landing)
    hint = did_you_mean(run_id, known) or (f" Known runs: {', '.join(known[-3:])}." if known else " No run has started here yet.")
    raise ConfigError(f"--resume {run_id}: no such run in {landing}; check the run id (costbench resumes from the "
                      f"landing journal, paths.landing).{hint}")


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


def in_doubt(landing: Path, run_id: str, landed: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The intents of calls that were sent (or about to be) but never landed, by call_id."""
    return {cid: intent for cid, intent in sent_intents(landing, run_id).items() if cid not in landed}


PriceRecord = Callable[[dict[str, Any]], Decimal]
"""Prices a landed record from its usage (for journals written before ``charged_usd`` existed)."""


def charged_usd(record: dict[str, Any], intent: dict[str, Any] | None, price: PriceRecord) -> Decimal:
    """What the budget charged a landed call: its ``charged_usd``; for an older line, its usage priced, a
    200 without readable usage at its reservation (worst case), an HTTP error at 0."""
    if record.get("charged_usd") is not None:
        return Decimal(record["charged_usd"])
    if record.get("status") == "ok" and record.get("usage"):
        return price(record)
    if record.get("http_status") in (200, None) and intent is not None:
        return Decimal(intent["reserved_usd"])
    return Decimal(0)


@dataclass(frozen=True)
class RunSpend:
    """What one run has spent so far according to its journal."""

    landed_usd: Decimal
    in_doubt: dict[str, Decimal]
    """Sent but never landed: each at its reservation, by call id."""

    @property
    def total_usd(self) -> Decimal:
        """Landed plus in doubt."""
        return self.landed_usd + sum(self.in_doubt.values(), Decimal(0))


def run_spend(landing: Path, run_id: str, price: PriceRecord) -> RunSpend:
    """A run's landed spend and its in-doubt reservations, from its journal and intent log."""
    landed = landed_records(landing, run_id)
    intents = sent_intents(landing, run_id)
    total = sum((charged_usd(r, intents.get(cid), price) for cid, r in landed.items()), Decimal(0))
    doubt = {cid: Decimal(i["reserved_usd"]) for cid, i in intents.items() if cid not in landed}
    return RunSpend(total, doubt)


def day_spend_usd(landing: Path, day: date, exclude: str, price: PriceRecord) -> tuple[Decimal, list[str]]:
    """Spend of every other run of ``day`` (UTC, by ``run_at``) in the landing folder, landed or in doubt,
    including runs still running in other processes; returns it with the run ids it covered."""
    total, covered = Decimal(0), []
    for run_id in run_ids(landing):
        if run_id == exclude:
            continue
        run_at = read_manifest(landing, run_id).get("run_at")
        if run_at is None or datetime.fromisoformat(run_at).date() != day:
            continue
        total += run_spend(landing, run_id, price).total_usd
        covered.append(run_id)
    return total, covered


def _repair_tail(path: Path) -> None:
    """Cut a torn last line so new appends start on a fresh line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


class Syncer:
    """One thread that writes and fsyncs the queued lines of any number of journal files (group commit).

    Appends from the event loop only queue a line and a future; the thread takes everything queued,
    writes each file's lines at once, fsyncs each file once, and resolves the whole batch with a single
    wake-up of the loop. The intent log and the result journal of a run share one syncer, so one
    thread hop commits both.
    """

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._pending: list[tuple[JournalWriter, bytes, asyncio.Future[None]]] = []
        self._staged: list[tuple[JournalWriter, bytes, asyncio.Future[None]]] = []
        """Appends of the current loop iteration, handed to the thread together (one lock, one wake-up)."""
        self._closing = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def submit(self, writer: JournalWriter, line: bytes) -> asyncio.Future[None]:
        """Queue ``line`` for ``writer``'s file; the future resolves once it is fsynced.

        Appends made in one iteration of the event loop are handed to the thread at its end, in one batch.
        """
        if self._closing:
            raise StoreError(f"{writer.path}: the journal is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._staged.append((writer, line, future))
        if len(self._staged) == 1:
            loop.call_soon(self._hand_over, loop)
        return future

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._staged = self._staged, []
        if not batch:  # close() took them
            return
        with self._cv:
            self._loop = loop
            self._pending.extend(batch)
            self._start_thread()
            self._cv.notify()

    def _start_thread(self) -> None:  # under self._cv
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="costbench-journal", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._closing:
                    self._cv.wait()
                if not self._pending:
                    return
                batch, self._pending, loop = self._pending, [], self._loop
            failed = self._commit(batch)
            assert loop is not None
            try:
                loop.call_soon_threadsafe(_resolve, batch, failed)
            except RuntimeError:  # the loop is gone (interrupted run): nothing waits for these lines
                pass

    @staticmethod
    def _commit(batch: list[tuple[JournalWriter, bytes, asyncio.Future[None]]]) -> dict[JournalWriter, Exception]:
        lines: dict[JournalWriter, list[bytes]] = {}
        for writer, line, _ in batch:
            lines.setdefault(writer, []).append(line)
        failed: dict[JournalWriter, Exception] = {}
        for writer, chunk in lines.items():
            try:
                writer.write_synced(b"".join(chunk))
            except (OSError, ValueError) as exc:  # ValueError: the file was closed by an interrupted run
                failed[writer] = StoreError(f"{writer.path}: cannot write the journal: {exc}")
        return failed

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        with self._cv:
            self._closing = True
            if self._staged:  # the loop stopped before its hand-over ran: committed here
                self._pending.extend(self._staged)
                self._loop = self._loop or self._staged[0][2].get_loop()
                self._staged = []
                self._start_thread()
            self._cv.notify()
            thread = self._thread
        if thread is not None:
            thread.join()


def _resolve(batch: list[tuple[JournalWriter, bytes, asyncio.Future[None]]],
             failed: dict[JournalWriter, Exception]) -> None:
    for writer, _, future in batch:
        if future.done():  # its caller was cancelled
            continue
        if writer in failed:
            future.set_exception(failed[writer])
        else:
            future.set_result(None)


class JournalWriter:
    """Append-only writer of one journal file; appends are group-committed by a :class:`Syncer`."""

    def __init__(self, path: Path, syncer: Syncer | None = None) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _repair_tail(self.path)
        self._fh = self.path.open("ab")
        self._own_syncer = syncer is None
        self._syncer = syncer or Syncer()

    async def append(self, record: dict[str, Any]) -> None:
        """Append one record; returns once it is fsynced."""
        line = orjson.dumps(record, default=str, option=orjson.OPT_APPEND_NEWLINE)  # UTF-8 JSON, 10x json's speed
        await self._syncer.submit(self, line)

    def write_synced(self, data: bytes) -> None:
        """Write and fsync (called on the syncer's thread)."""
        self._fh.write(data)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Commit what is queued and close the file."""
        if self._own_syncer:
            self._syncer.close()
        self._fh.close()
