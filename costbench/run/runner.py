"""Run the catalog against every configured model: async, limited, budgeted, crash-safe.

For each (model, task, case, repeat) the runner plays the conversation turn by turn. Every finished
call is appended and fsynced to the landing journal before it counts as done; a resumed run skips
landed calls, and a call that was sent but never landed is re-sent only with the same
``Idempotency-Key`` (its first reservation stays counted as spent).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from costbench.run import journal
from costbench.run import netio
from costbench.run.budget import Budget
from costbench.run.calls import CallContext, ProviderClient, open_clients
from costbench.catalog.tasks import Case, Catalog, Task, load_catalog
from costbench.config import Config, ModelRef
from costbench.errors import BudgetExceeded
from costbench.catalog.graders import Grade, grade as grade_output
from costbench.run.locks import run_lock
from costbench.run.processes import Part
from costbench.run.progress import Progress, make_progress

log = logging.getLogger("costbench.run")

SLOW_GRADERS = frozenset({"unit_tests"})
"""Graders that run code in a subprocess; they are run off the event loop."""
_GRADE_CACHE: dict[tuple[str, str, str], Grade] = {}
"""Grades already computed in this process, by (task@version, case, output): grading is deterministic."""


def call_id(run_id: str, model: str, task_key: str, case_id: str, repeat: int, turn: int) -> str:
    """Deterministic id of one call: the same inputs always give the same id."""
    text = "\x1f".join([run_id, model, task_key, case_id, str(repeat), str(turn)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def default_run_id(cfg: Config, run_at: datetime) -> str:
    """``<UTC date-time of the run>-<config hash>``: a re-run of the same night resumes it."""
    return f"{run_at.astimezone(UTC):%Y%m%dT%H%M}-{cfg.hash[:6]}"


@dataclass(frozen=True)
class Attempt:
    """One attempt at one case: every turn of its conversation."""

    model: ModelRef
    task: Task
    case: Case
    repeat: int


@dataclass
class RunResult:
    """What a run did."""

    run_id: str
    run_at: datetime
    planned_calls: int
    sent_calls: int = 0
    skipped_calls: int = 0
    failed_calls: int = 0
    in_doubt_calls: int = 0
    budget_stopped: int = 0
    spent_usd: Decimal = Decimal(0)
    elapsed_s: float = 0.0
    errors: list[str] = field(default_factory=list)


def plan(cfg: Config, catalog: Catalog, models: Sequence[ModelRef] | None = None,
         tasks: Sequence[str] | None = None, day: date | None = None) -> list[Attempt]:
    """Every attempt of a run, in a stable order (``[run] cases_per_task`` picks the day's window of cases)."""
    chosen = [catalog.get(t) for t in (tasks or cfg.run.tasks)] if (tasks or cfg.run.tasks) else list(catalog)
    return [
        Attempt(model, task, case, repeat)
        for model in (models or cfg.models)
        for task in chosen
        for case in task.cases_for(cfg.run.cases_per_task, day)
        for repeat in range(cfg.run.repeats)
    ]


def plan_day(cfg: Config, run_id: str, run_at: datetime) -> date:
    """The day that picks a run's case window: the day of its manifest when it is resumed (a resume at another
    time must play the same cases), else the day of ``run_at``."""
    if (journal.run_dir(cfg.paths.landing, run_id) / journal.MANIFEST).exists():
        return datetime.fromisoformat(journal.read_manifest(cfg.paths.landing, run_id)["run_at"]).date()
    return run_at.date()


def charge_in_doubt(budget: Budget, in_doubt: dict[str, dict[str, Any]]) -> int:
    """Count every in-doubt call as spent at its reservation (it may have been answered and paid)."""
    for intent in in_doubt.values():
        budget.count_in_doubt(Decimal(intent["reserved_usd"]))
    return len(in_doubt)


class Runner:
    """Plays attempts against providers and lands every call."""

    def __init__(self, cfg: Config, ctx: CallContext, clients: dict[str, ProviderClient],
                 writer: journal.JournalWriter, progress: Progress, count_in_doubt: bool = True) -> None:
        self.cfg, self.ctx, self.clients, self.writer, self.progress = cfg, ctx, clients, writer, progress
        self.landed = journal.landed_records(cfg.paths.landing, ctx.run_id)
        self.in_doubt = journal.in_doubt(cfg.paths.landing, ctx.run_id, self.landed)
        self.count_in_doubt = count_in_doubt
        """False in a child runner process: the parent counted the in-doubt calls against the budget."""
        self.result = RunResult(ctx.run_id, ctx.run_at, 0)
        self._grades: dict[tuple[str, str, str], Grade] = _GRADE_CACHE

    async def run(self, attempts: list[Attempt]) -> RunResult:
        """Play all attempts concurrently (limits are per provider)."""
        if self.count_in_doubt:
            self.result.in_doubt_calls = charge_in_doubt(self.ctx.budget, self.in_doubt)
        self.result.planned_calls = sum(a.task.calls_per_case for a in attempts)
        await asyncio.gather(*(self._attempt(a) for a in attempts))
        self.result.spent_usd = self.ctx.budget.spent_usd
        return self.result

    async def _attempt(self, att: Attempt) -> None:
        messages = att.task.render(att.case)
        followups = att.task.followups(att.case)
        last = att.task.calls_per_case - 1
        for turn in range(last + 1):
            cid = call_id(self.ctx.run_id, att.model.name, att.task.key, att.case.id, att.repeat, turn)
            record = self.landed.get(cid)
            if record is not None:
                self.result.skipped_calls += 1
                self.progress.advance(Decimal(0), skipped=True)
            else:
                record = await self._call(att, turn, last, cid, messages)
                if record is None:
                    return
            if record["status"] != "ok":
                return
            messages = [*messages, {"role": "assistant", "content": record["output_text"] or ""}]
            if turn < last:
                messages.append({"role": "user", "content": followups[turn]})

    async def _call(self, att: Attempt, turn: int, last: int, cid: str,
                    messages: list[dict[str, str]]) -> dict[str, Any] | None:
        client = self.clients[att.model.provider]
        async with client.staged:  # from the intent to the landing: bounds the calls in doubt after a crash
            try:
                outcome = await client.call(self.ctx, att.model, att.task, cid, messages, resend=cid in self.in_doubt)
            except BudgetExceeded as exc:
                self.result.budget_stopped += 1
                if self.result.budget_stopped == 1:
                    self.result.errors.append(str(exc))
                self.progress.advance(Decimal(0), skipped=True)
                return None
            record = outcome.record(att, turn, last)
            record["run_id"], record["shard"] = self.ctx.run_id, self.ctx.shard
            if record["status"] != "ok" or turn == last:
                record["grade"] = await self._grade(att, record)
            await self.writer.append(record)
        self.result.sent_calls += 1
        if record["status"] != "ok":
            self.result.failed_calls += 1
        self.progress.advance(outcome.cost_usd)
        return record

    async def _grade(self, att: Attempt, record: dict[str, Any]) -> dict[str, Any]:
        name = att.task.grader.name
        if record["status"] != "ok":
            return {"grader": name, "score": 0.0, "passed": False, "reason": f"call failed: {record['error']}"[:200]}
        output = record["output_text"] or ""
        key = (att.task.key, att.case.id, output)
        g = self._grades.get(key)  # a grade is a pure function of (task version, case, output)
        if g is None:
            if name in SLOW_GRADERS:  # runs code in a subprocess: keep the event loop free meanwhile
                g = await asyncio.to_thread(grade_output, att.task.grader, output, att.case)
            else:
                g = grade_output(att.task.grader, output, att.case)
            self._grades[key] = g
        return {"grader": name, "score": g.score, "passed": g.passed, "reason": g.reason[:200]}


async def run_catalog_async(cfg: Config, budget: Budget, *, run_at: datetime | None = None,
                            run_id: str | None = None, shard: str = "main",
                            models: Sequence[ModelRef] | None = None, tasks: Sequence[str] | None = None,
                            emulator_url: str | None = None, progress: Progress | None = None,
                            emulated_clock: bool = False) -> RunResult:
    """Run (or resume) one run; returns once every call landed or was refused by the budget.

    With ``[run] processes`` above 1 the attempts are played by that many forked runner processes
    (see :mod:`costbench.run.processes`); the result is the same, only faster against a fast endpoint.
    """
    catalog = load_catalog(cfg.paths.catalog)
    run_at = (run_at or datetime.now(UTC)).astimezone(UTC)
    run_id = run_id or default_run_id(cfg, run_at)
    attempts = plan(cfg, catalog, models, tasks, plan_day(cfg, run_id, run_at))
    ctx = CallContext(run_id=run_id, run_at=run_at, started=time.monotonic(), budget=budget,
                      shard=shard, emulated_clock=emulated_clock, cfg=cfg)
    from costbench.prices.pricing import Pricer  # imported late: the price book is only needed for a real run
    from costbench.run.processes import effective_processes, run_in_processes

    pricer = Pricer.load()
    _preflight(cfg, run_id, attempts, pricer, run_at, budget)
    journal.write_manifest(cfg.paths.landing, run_id, _manifest(cfg, catalog, run_id, run_at, budget, pricer))
    processes = effective_processes(cfg, attempts, cfg.run.processes)
    with run_lock(journal.run_dir(cfg.paths.landing, run_id) / f"{shard}.lock"):
        if processes > 1:
            progress = progress or make_progress(sum(a.task.calls_per_case for a in attempts), run_id)
            with progress:
                result = await run_in_processes(cfg, ctx, attempts, pricer, budget, processes, emulator_url, progress)
        else:
            result = await run_attempts(cfg, ctx, attempts, pricer, emulator_url=emulator_url, progress=progress)
    result.elapsed_s = time.monotonic() - ctx.started
    return result


async def run_attempts(cfg: Config, ctx: CallContext, attempts: list[Attempt], pricer: Any, *,
                       emulator_url: str | None = None, progress: Progress | None = None,
                       part: Part | None = None, count_in_doubt: bool = True) -> RunResult:
    """Play ``attempts`` in this process into the journal shard ``ctx.shard``."""
    syncer = journal.Syncer()  # one thread commits both the intent log and the journal
    writer = journal.JournalWriter(journal.run_dir(cfg.paths.landing, ctx.run_id) / f"{ctx.shard}.jsonl", syncer)
    progress = progress or make_progress(sum(a.task.calls_per_case for a in attempts), ctx.run_id)
    providers = sorted({a.model.provider for a in attempts})
    try:
        with run_lock(journal.run_dir(cfg.paths.landing, ctx.run_id) / f"{ctx.shard}.lock") if part else contextlib.nullcontext():
            async with open_clients(cfg, providers, pricer, writer.path, emulator_url, syncer, part) as clients:
                runner = Runner(cfg, ctx, clients, writer, progress, count_in_doubt)
                with progress:
                    return await runner.run(attempts)
    finally:
        syncer.close()
        writer.close()


def _preflight(cfg: Config, run_id: str, attempts: list[Attempt], pricer: Any, run_at: datetime,
               budget: Budget) -> None:
    """Print the estimate of what is left to run and refuse to start above a cap."""
    from costbench.run.estimate import estimate

    landed = journal.landed_records(cfg.paths.landing, run_id)
    remaining = [a for a in attempts
                 if call_id(run_id, a.model.name, a.task.key, a.case.id, a.repeat, a.task.calls_per_case - 1) not in landed]
    est = estimate(remaining, pricer, run_at)
    log.info("pre-flight estimate for run %s (%d calls left):\n%s", run_id, est.calls, "\n".join(est.lines()))
    budget.check_estimate(est.total_usd)


def _manifest(cfg: Config, catalog: Catalog, run_id: str, run_at: datetime, budget: Budget,
              pricer: Any) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "run_at": run_at.isoformat(),
        "started_at": datetime.now(UTC).isoformat(),
        "config_hash": cfg.hash,
        "catalog_version": catalog.version,
        "pricebook_version": pricer.version,
        "simulated": any(cfg.provider(m.provider).emulated for m in cfg.models),
        "budget_usd": str(budget.per_run_usd),
    }


def night_of(day: datetime | str, hour: int = 2) -> datetime:
    """The UTC time a nightly run of ``day`` represents (02:00 UTC by default)."""
    if isinstance(day, str):
        day = datetime.fromisoformat(day)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(hours=hour)


def spent_today_usd(cfg: Config, day: datetime) -> Decimal:
    """USD already spent by landed runs on ``day`` (UTC), for the daily cap."""
    from costbench.store.db import opened, rows

    if not cfg.paths.db.exists():
        return Decimal(0)
    with opened(cfg.paths.db) as con:
        found = rows(con, """SELECT coalesce(sum(k.total_usd), 0) AS usd FROM costs k JOIN runs r USING (run_id)
                             WHERE r.run_at::DATE = ?::DATE""", [day.date()])
    return Decimal(found[0]["usd"])


def run_catalog(cfg: Config, *, run_at: datetime | None = None, run_id: str | None = None,
                **kwargs: Any) -> RunResult:
    """Run (or resume) the catalog for every configured model; see :func:`run_catalog_async`."""
    run_at = (run_at or datetime.now(UTC)).astimezone(UTC)
    budget = Budget(cfg.budget.per_run_usd, cfg.budget.per_day_usd, spent_today_usd(cfg, run_at))
    return netio.run(run_catalog_async(cfg, budget, run_at=run_at, run_id=run_id, **kwargs))
