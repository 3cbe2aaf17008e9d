"""Several runner processes for one run (``[run] processes = N``).

One Python process tops out near one CPU core of HTTP work (see docs/runner.md for the figures),
so a fast endpoint (the emulator, a local proxy, a high-limit provider) can keep N cores busy. The
parent plans the run, checks the estimate, writes the manifest and holds the run lock, then forks N
children. Child ``i`` plays every N-th attempt (a multi-turn conversation stays in one process) and
lands it in its own journal shard ``<shard>-p<i>.jsonl`` with its own intent log, so resume,
loading and the in-doubt rules are the single-process ones.

Limits are split, never shared at run time, so no lock crosses processes on the hot path:

- concurrency: child ``i`` gets its share of each provider's ``concurrency`` (they sum to it);
- RPM/TPM: each child gets ``1/N`` of the limit; the children's attempts are interleaved, so
  together they send at the configured rate;
- budget: the parent counts in-doubt calls first, then gives each child the part of the remaining
  per-run and per-day headroom in proportion to its share of the pre-flight estimate (rounded
  down). The slices sum to at most the headroom, so the caps hold across all children.

Children report progress (batched), log records and their result to the parent over one queue, and
die with the parent (``PR_SET_PDEATHSIG``), so a killed run leaves no process sending requests.

This module never imports the runner (imports flow ``runner → processes → calls → plan``): the runner
passes the function a child plays its attempts with (``play``), and the emulator URL, if any, is
started by the CLI or the pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import logging
import logging.handlers
import multiprocessing
import queue as queue_mod
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from costbench.run.budget import Budget
from costbench.errors import CostbenchError
from costbench.run.estimate import estimate
from costbench.run.plan import Attempt, Part, RunResult
from costbench.run.progress import Progress
from costbench.run.transport import run

if TYPE_CHECKING:
    from costbench.run.calls import CallContext
    from costbench.config import Config
    from costbench.prices.pricing import Pricer

Play = Callable[..., Awaitable[RunResult]]
"""``runner.run_attempts``: what a child runs its attempts with."""

log = logging.getLogger("costbench.run")
CENT_FRACTION = Decimal("1e-12")
"""Budget slices are rounded down to this, so they never sum above the headroom."""
REPORT_EVERY_S = 0.25


def effective_processes(cfg: Config, attempts: Sequence[Attempt], wanted: int) -> int:
    """At most one process per attempt, and no provider split below one connection per process."""
    providers = {a.model.provider for a in attempts}
    least = min((cfg.provider(p).concurrency for p in providers), default=1)
    return max(1, min(wanted, len(attempts), least))


def budget_slices(budget: Budget, estimates: Sequence[Decimal]) -> list[Budget]:
    """Per-child budgets in proportion to each child's estimate; they sum to at most the headroom."""
    run_left, day_left = max(budget.run_left_usd, Decimal(0)), max(budget.day_left_usd, Decimal(0))
    total = sum(estimates, Decimal(0))
    shares = [e / total if total > 0 else Decimal(1) / len(estimates) for e in estimates]
    return [Budget((run_left * s).quantize(CENT_FRACTION, ROUND_DOWN), (day_left * s).quantize(CENT_FRACTION, ROUND_DOWN))
            for s in shares]


class _QueueProgress(Progress):
    """A child's progress: counts sent to the parent in batches (at most every 0.25 s)."""

    def __init__(self, total: int, run_id: str, queue: Any, index: int) -> None:
        super().__init__(total, run_id)
        self._queue, self._index = queue, index
        self._sent = (0, 0, Decimal(0))
        self._last = 0.0

    def show(self) -> None:
        now = time.monotonic()
        if now - self._last >= REPORT_EVERY_S or self.done == self.total:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        """Send what changed since the last report."""
        self._last = now or time.monotonic()
        done, skipped, spent = self._sent
        if self.done != done:
            self._queue.put(("progress", self._index, self.done - done, self.skipped - skipped, self.spent_usd - spent))
            self._sent = (self.done, self.skipped, self.spent_usd)


def _die_with_parent() -> None:
    """Linux: the kernel kills this child when the parent dies (a SIGKILLed run leaves no orphans)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _log_to_parent(queue: Any) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.handlers.QueueHandler(queue))


def _child(index: int, count: int, cfg: Config, ctx: CallContext, attempts: list[Attempt], pricer: Pricer,
           shard: str, emulator_url: str | None, queue: Any, play: Play) -> None:
    """The body of child ``index``: run its attempts, report the result."""
    _die_with_parent()
    _log_to_parent(queue)
    part = Part(index, count)
    try:
        progress = _QueueProgress(sum(a.task.calls_per_case for a in attempts), ctx.run_id, queue, index)
        result = run(play(cfg, dataclasses.replace(ctx, shard=part.shard(shard)), attempts, pricer,
                                          emulator_url=emulator_url, progress=progress, part=part,
                                          count_in_doubt=False))
        progress.flush()
        queue.put(("result", index, result))
    except CostbenchError as exc:
        queue.put(("error", index, str(exc)))
    except BaseException as exc:  # noqa: BLE001  (the traceback goes to the log, the parent raises one line)
        log.exception("runner process %d crashed", index)
        queue.put(("error", index, f"{type(exc).__name__}: {exc}"))


async def run_in_processes(cfg: Config, ctx: CallContext, attempts: list[Attempt], pricer: Pricer, budget: Budget,
                           count: int, emulator_url: str | None, progress: Progress, *, play: Play,
                           in_doubt_calls: int = 0) -> RunResult:
    """Fork ``count`` children, each playing every ``count``-th attempt with ``play``; merge their results.

    ``budget`` already counts the run's in-doubt calls (``in_doubt_calls`` of them): once, in the parent.
    """
    parts = [attempts[i::count] for i in range(count)]
    slices = budget_slices(budget, [estimate(p, pricer, ctx.run_at).total_usd for p in parts])
    fork = multiprocessing.get_context("fork")
    queue = fork.Queue()
    children = []
    for i, part_attempts in enumerate(parts):  # forked before any thread of this run starts
        child_ctx = dataclasses.replace(ctx, budget=slices[i])
        proc = fork.Process(target=_child, name=f"costbench-run-p{i}", daemon=True,
                            args=(i, count, cfg, child_ctx, part_attempts, pricer, ctx.shard, emulator_url, queue,
                                  play))
        proc.start()
        children.append(proc)
    try:
        results = await asyncio.to_thread(_collect, children, queue, progress)
    finally:
        for proc in children:
            if proc.is_alive():
                proc.kill()
            proc.join(5)
    merged = RunResult(ctx.run_id, ctx.run_at, 0, in_doubt_calls=in_doubt_calls)
    for r in results:
        for name in ("planned_calls", "sent_calls", "skipped_calls", "failed_calls", "in_doubt_calls", "budget_stopped"):
            setattr(merged, name, getattr(merged, name) + getattr(r, name))
        merged.spent_usd += r.spent_usd
        merged.errors += r.errors
    merged.spent_usd += budget.spent_usd  # in-doubt reservations counted above
    return merged


def _collect(children: list[Any], queue: Any, progress: Progress) -> list[RunResult]:
    """Relay progress and logs until every child reported; a child that died silently is an error."""
    results: dict[int, RunResult] = {}
    errors: dict[int, str] = {}
    while len(results) + len(errors) < len(children):
        try:
            message = queue.get(timeout=0.5)
        except queue_mod.Empty:
            for i, proc in enumerate(children):
                if i not in results and i not in errors and not proc.is_alive():
                    errors[i] = f"runner process {i} exited with code {proc.exitcode} without a result"
            continue
        if isinstance(message, logging.LogRecord):
            logging.getLogger(message.name).handle(message)
        elif message[0] == "progress":
            _, _, done, skipped, spent = message
            progress.add(done, skipped, spent)
        elif message[0] == "result":
            results[message[1]] = message[2]
        else:
            errors[message[1]] = message[2]
    if errors:
        first = min(errors)
        raise CostbenchError(f"runner process {first} failed: {errors[first]} (landed calls are kept; resume the run)")
    return [results[i] for i in sorted(results)]
