"""Progress of a run: a rich live bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from decimal import Decimal
from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeRemainingColumn

from costbench.report.formatting import usd

log = logging.getLogger("costbench.run")


class Progress:
    """Counts calls done and money spent; subclasses decide how to show it."""

    def __init__(self, total: int, run_id: str) -> None:
        self.total, self.run_id = total, run_id
        self.done = 0
        self.skipped = 0
        self.spent_usd = Decimal(0)
        self.started = time.monotonic()

    def advance(self, cost_usd: Decimal, *, skipped: bool = False) -> None:
        """One call finished (or was skipped because it had landed before)."""
        self.done += 1
        self.skipped += skipped
        self.spent_usd += cost_usd
        self.show()

    def add(self, done: int, skipped: int, cost_usd: Decimal) -> None:
        """Several calls finished at once (reported by a child runner process)."""
        self.done += done
        self.skipped += skipped
        self.spent_usd += cost_usd
        self.show()

    def eta_s(self) -> float | None:
        """Seconds left at the current pace (None before the first call)."""
        worked = self.done - self.skipped
        if worked <= 0:
            return None
        rate = worked / max(time.monotonic() - self.started, 1e-9)
        return (self.total - self.done) / rate

    def show(self) -> None:
        """Render the current state (nothing by default)."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class LogProgress(Progress):
    """A plain line every ``every_s`` seconds and at the end (for logs and CI)."""

    def __init__(self, total: int, run_id: str, every_s: float = 5.0) -> None:
        super().__init__(total, run_id)
        self.every_s, self._last = every_s, 0.0

    def show(self) -> None:
        now = time.monotonic()
        if self.done == self.total or now - self._last >= self.every_s:
            self._last = now
            eta = self.eta_s()
            log.info("run %s: %d/%d calls (%d resumed), spent %s, ETA %s", self.run_id, self.done, self.total,
                     self.skipped, usd(self.spent_usd), "-" if eta is None else f"{eta:.0f}s")


class TerminalProgress(Progress):
    """A rich progress bar with calls done, spend so far and ETA."""

    def __init__(self, total: int, run_id: str) -> None:
        super().__init__(total, run_id)
        self._bar = RichProgress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("spent {task.fields[spent]}"), TimeRemainingColumn(), transient=False)
        self._task = self._bar.add_task(f"run {run_id}", total=total, spent=usd(Decimal(0)))

    def show(self) -> None:
        self._bar.update(self._task, completed=self.done, spent=usd(self.spent_usd))

    def __enter__(self) -> Progress:
        self._bar.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._bar.stop()


def make_progress(total: int, run_id: str, quiet: bool = False) -> Progress:
    """A terminal bar when stderr is a terminal, log lines otherwise, nothing when quiet."""
    if quiet:
        return Progress(total, run_id)
    return TerminalProgress(total, run_id) if sys.stderr.isatty() else LogProgress(total, run_id)
