"""Run the catalog against every configured model: async, limited, budgeted, crash-safe.

For each (model, task, case, repeat) the runner plays the conversation turn by turn. Every finished
call is appended and fsynced to the landing journal before it counts as done; a resumed run skips
landed calls, and a call that was sent but never landed is re-sent only with the same
``Idempotency-Key`` (its first reservation stays counted as spent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from costbench.run import journal
from costbench.run.budget import Budget
from costbench.run.calls import CallContext, ProviderClient, needs_emulator, open_clients
from costbench.catalog.tasks import Catalog, load_catalog
from costbench.config import Config, ModelRef
from costbench.errors import BudgetExceeded, ConfigError
from costbench.catalog.graders import Grade, check_runnable, grade_async
from costbench.run.estimate import estimate
from costbench.run.locks import run_lock
from costbench.run.plan import Attempt, Part, RunResult, call_id, plan
from costbench.run.processes import effective_processes, run_in_processes
from costbench.run.progress import Progress, make_progress
from costbench.run.transport import run as run_loop

log = logging.getLogger("costbench.run")

_GRADE_CACHE: dict[tuple[str, str, str], Grade] = {}
"""Grades already computed in this process, by (task@version, case, output): grading is deterministic."""


def default_run_id(cfg: Config, run_at: datetime) -> str:
    """``<UTC date-time of the run>-<config hash>``: a re-run of the same night resumes it."""
    return f"{run_at.astimezone(UTC):%Y%m%dT%H%M}-{cfg.hash[:6]}"


def plan_day(cfg: Config, run_id: str, run_at: datetime) -> date:
    """The day that picks a run's case window: the day of its manifest when it is resumed (a resume at another
    time must play the same cases), else the day of ``run_at``."""
    if (journal.run_dir(cfg.paths.landing, run_id) / journal.MANIFEST).exists():
        return datetime.fromisoformat(journal.read_manifest(cfg.paths.landing, run_id)["run_at"]).date()
    return run_at.date()


def charge_in_doubt(budget: Budget, in_doubt: dict[str, dict[str, Any]]) -> int:
    """Count every in-doubt call as spent at its reservation (it may have been answered and paid)."""
    for cid, intent in in_doubt.items():
        budget.count_in_doubt(Decimal(intent["reserved_usd"]), cid)
    return len(in_doubt)


def record_pricer(pricer: Any) -> journal.PriceRecord:
    """Prices a landed journal line from its usage (lines written before ``charged_usd`` existed)."""
    from costbench.usage import Usage

    def price(record: dict[str, Any]) -> Decimal:
        at = datetime.fromisoformat(record["requested_at"])
        return Decimal(pricer.cost_usd(record["provider"], record["model"], at, Usage.from_dict(record["usage"])))

    return price


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
        if g is None:  # off the event loop where CPU-bound or sandboxed, time-limited, reason redacted
            g = await grade_async(att.task.grader, output, att.case, self.clients[att.model.provider].keys)
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
    if needs_emulator(cfg, sorted({a.model.provider for a in attempts})) and not emulator_url:
        raise ConfigError(f"{cfg.source}: an emulated provider needs a running emulator: use `costbench run`, "
                          f"which starts one, or set [emulator] url")
    check_runnable(a.task.grader for a in attempts)  # no sandbox: refuse before any paid call
    ctx = CallContext(run_id=run_id, run_at=run_at, started=time.monotonic(), budget=budget,
                      shard=shard, emulated_clock=emulated_clock, cfg=cfg)
    from costbench.prices.pricing import Pricer  # imported late: the price book is only needed for a real run

    pricer = Pricer.load(cfg)  # with [prices] paths and price_as
    budget.count_landed(journal.run_spend(cfg.paths.landing, run_id, record_pricer(pricer)).landed_usd)  # a resume
    _preflight(cfg, run_id, attempts, pricer, run_at, budget)
    journal.write_manifest(cfg.paths.landing, run_id, _manifest(cfg, catalog, run_id, run_at, budget, pricer))
    processes = effective_processes(cfg, attempts, cfg.run.processes)

    async def play(batch: list[Attempt]) -> RunResult:
        if processes > 1:
            bar = progress or make_progress(sum(a.task.calls_per_case for a in batch), run_id)
            with bar:
                doubtful = charge_in_doubt(budget, journal.in_doubt(cfg.paths.landing, run_id,
                                                                    journal.landed_records(cfg.paths.landing, run_id)))
                return await run_in_processes(cfg, ctx, batch, pricer, budget, processes, emulator_url, bar,
                                              play=run_attempts, in_doubt_calls=doubtful)
        return await run_attempts(cfg, ctx, batch, pricer, emulator_url=emulator_url, progress=progress)

    with run_lock(journal.run_dir(cfg.paths.landing, run_id) / f"{shard}.lock"):
        if cfg.run.sampling == "adaptive":
            result = await _run_adaptive(cfg, ctx, attempts, pricer, budget, play)
        else:
            result = await play(attempts)
    result.elapsed_s = time.monotonic() - ctx.started
    return result


async def _run_adaptive(cfg: Config, ctx: CallContext, attempts: list[Attempt], pricer: Any, budget: Budget,
                        play: Any) -> RunResult:
    """Play the night in rounds (see :mod:`costbench.run.adaptive`); write its precision summary."""
    from costbench.run import adaptive
    price = record_pricer(pricer)

    def cost_of(rec: dict[str, Any]) -> Decimal:  # what the budget charged the call (worst case when unreadable)
        return journal.charged_usd(rec, None, price)

    models = {a.model.name for a in attempts}
    design = adaptive.AdaptiveDesign(
        adaptive.Design(cfg.run.target_halfwidth_pct, cfg.run.initial_fraction, cfg.run.max_rounds, cfg.run.seed,
                        budget.headroom_usd, cfg.run.coverage_nights),
        attempts,
        *adaptive.load_history(cfg.paths.db, ctx.run_at, cfg.run.window_nights, cfg.run.coverage_nights, models),
    )
    landing = cfg.paths.landing
    results = await adaptive.run_rounds(
        design, play, lambda: adaptive.attempt_outcomes(journal.landed_records(landing, ctx.run_id).values(), cost_of))
    summary = {"target_halfwidth_pct": cfg.run.target_halfwidth_pct, "rounds": len(design.rounds),
               "models": design.summary()}
    adaptive.write_summary(journal.run_dir(landing, ctx.run_id), summary)
    return _merge(results, summary)


def _merge(results: list[RunResult], summary: dict[str, Any]) -> RunResult:
    """One result for all rounds of a night."""
    out = results[0]
    for r in results[1:]:
        out.planned_calls += r.planned_calls
        out.sent_calls += r.sent_calls
        out.skipped_calls += r.skipped_calls
        out.failed_calls += r.failed_calls
        out.budget_stopped += r.budget_stopped
        out.spent_usd = r.spent_usd
        out.errors.extend(e for e in r.errors if e not in out.errors)
    out.precision = summary
    return out


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
    landed = journal.landed_records(cfg.paths.landing, run_id)
    remaining = [a for a in attempts if not landed  # a fresh run: nothing to look up
                 or call_id(run_id, a.model.name, a.task.key, a.case.id, a.repeat, a.task.calls_per_case - 1) not in landed]
    est = estimate(remaining, pricer, run_at)
    log.info("pre-flight estimate for run %s (%d calls left):\n%s", run_id, est.calls, "\n".join(est.lines()))
    if cfg.run.sampling != "adaptive":  # adaptive rounds stop each model at its share of the budget instead
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


def spent_today_usd(cfg: Config, day: datetime, run_id: str = "", pricer: Any = None) -> Decimal:
    """USD already spent on ``day`` (UTC) by every other run, for the daily cap: runs in the landing folder
    from their journals (landed and in doubt, so unloaded and still-running runs count), others from DuckDB."""
    from costbench.prices.pricing import Pricer
    from costbench.store.db import opened, rows

    price = record_pricer(pricer or Pricer.load(cfg))
    journals, covered = journal.day_spend_usd(cfg.paths.landing, day.date(), run_id, price)
    if not cfg.paths.db.exists():
        return journals
    with opened(cfg.paths.db, read_only=True, wait_s=cfg.run.db_lock_wait_s) as con:
        if not rows(con, "SELECT 1 AS x FROM duckdb_tables() WHERE table_name = 'costs'"):
            return journals  # a store never migrated holds no spend
        found = rows(con, """SELECT coalesce(sum(k.total_usd), 0) AS usd FROM costs k JOIN runs r USING (run_id)
                             WHERE r.run_at::DATE = $day::DATE AND NOT list_contains($skip, r.run_id)""",
                     {"day": day.date(), "skip": [*covered, run_id]})
    return journals + Decimal(found[0]["usd"])


def run_catalog(cfg: Config, *, run_at: datetime | None = None, run_id: str | None = None,
                **kwargs: Any) -> RunResult:
    """Run (or resume) the catalog for every configured model; see :func:`run_catalog_async`."""
    run_at = (run_at or datetime.now(UTC)).astimezone(UTC)
    run_id = run_id or default_run_id(cfg, run_at)
    budget = Budget(cfg.budget.per_run_usd, cfg.budget.per_day_usd, spent_today_usd(cfg, run_at, run_id))
    return run_loop(run_catalog_async(cfg, budget, run_at=run_at, run_id=run_id, **kwargs))
