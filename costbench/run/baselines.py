"""The baselines step of a run: answer each case with the task's non-LLM baseline, grade it, land it.

Baselines never go through the HTTP runner: they are local functions. Each answer lands as one call line in
the run's own journal shard (``baseline.jsonl``), with its grade, exactly like a model's final turn, so the
loader, the pricing step (``prices/baseline.yml``: every rate 0) and every analytics query treat
``baseline/<name>`` as one more model. The wall time of each answer is its ``latency_ms``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from costbench.catalog.baselines import PROVIDER, answer
from costbench.catalog.graders import grade
from costbench.catalog.tasks import Case, Task, load_catalog
from costbench.config import Config
from costbench.run import journal
from costbench.run.runner import call_id, plan_day
from costbench.usage import Usage

SHARD = "baseline"
_NO_TOKENS = Usage().to_dict()
"""A baseline sends no tokens anywhere: its usage is truly zero (not unknown)."""


@dataclass
class BaselineResult:
    """What the baselines step did for one run."""

    run_id: str
    answered: int = 0
    skipped: int = 0
    solved: int = 0


def _record(run_id: str, task: Task, case: Case, output: str, at: datetime, latency_ms: int) -> dict[str, Any]:
    assert task.baseline is not None
    verdict = grade(task.grader, output, case)
    return {
        "call_id": call_id(run_id, f"{PROVIDER}/{task.baseline}", task.key, case.id, 0, 0), "run_id": run_id,
        "shard": SHARD, "provider": PROVIDER, "model": task.baseline, "dialect": PROVIDER, "task_id": task.id,
        "task_version": task.version, "task_category": task.category, "case_id": case.id, "repeat_index": 0,
        "turn_index": 0, "is_final_turn": True, "requested_at": at.isoformat(), "latency_ms": latency_ms,
        "attempts": 1, "status": "ok", "http_status": None, "error": None, "output_text": output,
        "usage": _NO_TOKENS, "raw_usage": None, "raw_response_text": None,
        "request": {"baseline": task.baseline, "task": task.key, "case": case.id}, "simulated": False,
        "grade": {"grader": task.grader.name, "score": verdict.score, "passed": verdict.passed,
                  "reason": verdict.reason[:200]},
    }


def _answers(cfg: Config, run_id: str, run_at: datetime, done: set[str]) -> tuple[list[dict[str, Any]], int]:
    catalog = load_catalog(cfg.paths.catalog)
    day = plan_day(cfg, run_id, run_at)
    chosen = [catalog.get(t) for t in cfg.run.tasks] if cfg.run.tasks else list(catalog)
    records, skipped, started = [], 0, time.monotonic()
    for task in (t for t in chosen if t.baseline):
        for case in task.cases_for(cfg.run.cases_per_task, day):
            if call_id(run_id, f"{PROVIDER}/{task.baseline}", task.key, case.id, 0, 0) in done:
                skipped += 1
                continue
            at = run_at + timedelta(seconds=time.monotonic() - started)
            t0 = time.perf_counter()
            output = answer(task, case)
            records.append(_record(run_id, task, case, output, at, round((time.perf_counter() - t0) * 1000)))
    return records, skipped


async def _land(cfg: Config, run_id: str, records: list[dict[str, Any]]) -> None:
    writer = journal.JournalWriter(journal.run_dir(cfg.paths.landing, run_id) / f"{SHARD}.jsonl")
    try:
        for record in records:
            await writer.append(record)
    finally:
        writer.close()


def run_baselines(cfg: Config, run_id: str, run_at: datetime) -> BaselineResult:
    """Answer, grade and land every baseline case of the run's window (a resumed run skips landed ones)."""
    done = set(journal.landed_records(cfg.paths.landing, run_id))
    records, skipped = _answers(cfg, run_id, run_at, done)
    if records:
        asyncio.run(_land(cfg, run_id, records))
    return BaselineResult(run_id, len(records), skipped, sum(r["grade"]["passed"] for r in records))
