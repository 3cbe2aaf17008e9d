"""Adaptive nightly sampling: pay only for the precision you need.

A night proceeds in rounds. Every model starts with a small stratified sample (the same fraction of
every task's cases, at least one case per task, so no task starves). After each round the interval of
each model's cost per solved task is updated from the night's landed calls plus the earlier nights of a
window; a model stops when its relative half-width is within the target or its share of the budget is
spent; the next round grows the sample of the models that are still open, the widest intervals per
dollar first. Which cases a round takes is a seeded permutation per task (the same for every model, so
models are compared on the same cases), so a resumed night chooses exactly the same rounds again: a
round is chosen only from the data of the rounds before it, and those are landed.

The estimate stays "all spend ÷ all solved cases" over what was sampled. Because every round takes the
same fraction of every task, the sample stays proportional to the catalog and that ratio estimates the
full design's ratio (see ``docs/analytics.md`` § Adaptive sampling for the bias of early stopping).
The interval is the delta-method interval of a ratio estimator over attempts; statistics are floats,
money stays :class:`~decimal.Decimal`.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from costbench.run.plan import Attempt

Z95 = 1.959964
"""Two-sided 95 % normal quantile."""
ZERO = Decimal(0)


@dataclass(frozen=True)
class Design:
    """The settings of a sequential design (``[run]`` in ``costbench.toml``)."""

    target_halfwidth_pct: float = 10.0
    """Stop a model once its cost-per-solved interval is within ± this many percent (95 %)."""
    initial_fraction: float = 0.1
    """Share of every task's cases in the first round (at least one case per task)."""
    max_rounds: int = 6
    seed: int = 0
    budget_usd: Decimal = ZERO
    """The night's budget; each model may spend an equal share of it."""
    coverage_nights: int = 1
    """Every task of every model is sampled at least once in this many consecutive nights (1: every night)."""


@dataclass(frozen=True)
class Interval:
    """Cost per solved task with its 95 % interval, from ``n`` attempts of which ``solved`` passed."""

    n: int
    solved: int
    spend_usd: Decimal
    point_usd: Decimal | None
    halfwidth_pct: float | None
    """Relative half-width in percent; None when it cannot be computed (no success, one attempt)."""

    def within(self, target_pct: float) -> bool:
        """True when the interval is known and at least as tight as the target."""
        return self.halfwidth_pct is not None and self.halfwidth_pct <= target_pct


@dataclass
class ModelState:
    """One model's progress through the night."""

    name: str
    units: dict[str, list[Attempt]]
    """Per task key, the attempts in the night's seeded order."""
    taken: dict[str, int] = field(default_factory=dict)
    """Per task key, how many of its ordered attempts the rounds so far took."""
    stopped_by: str | None = None
    """``target``, ``budget``, ``exhausted`` or ``rounds`` once the model stopped."""
    interval: Interval | None = None
    night_spend_usd: Decimal = ZERO
    """Spend of the night's landed attempts (the interval also pools earlier nights)."""

    @property
    def total_units(self) -> int:
        return sum(len(v) for v in self.units.values())

    @property
    def taken_units(self) -> int:
        return sum(self.taken.values())

    def chosen(self) -> list[Attempt]:
        """Every attempt the rounds so far took, in a stable order."""
        return [a for key, order in self.units.items() for a in order[: self.taken.get(key, 0)]]

    def grow_by_one(self) -> list[Attempt]:
        """Take one more attempt from the task with the smallest share taken (none when all are taken)."""
        open_tasks = [(self.taken.get(k, 0) / len(v), k) for k, v in self.units.items() if self.taken.get(k, 0) < len(v)]
        if not open_tasks:
            return []
        key = min(open_tasks)[1]
        have = self.taken.get(key, 0)
        self.taken[key] = have + 1
        return [self.units[key][have]]

    def grow_to(self, fraction: float, covered: frozenset[str] = frozenset()) -> list[Attempt]:
        """Take every task up to ``fraction`` of its cases; return the new attempts.

        A task gets at least one case unless it is in ``covered`` (sampled recently enough, see
        :attr:`Design.coverage_nights`); a covered task gets its fraction rounded to the nearest case.
        """
        new: list[Attempt] = []
        for key, order in self.units.items():
            share = fraction * len(order)
            floor_ = int(share + 0.5) if key in covered else max(1, math.ceil(share - 1e-9))
            want = min(len(order), floor_)
            have = self.taken.get(key, 0)
            if want > have:
                new.extend(order[have:want])
                self.taken[key] = want
        return new


def ratio_interval(outcomes: Sequence[tuple[Decimal, bool]]) -> Interval:
    """Delta-method 95 % interval of Σ cost ÷ Σ solved over attempts ``(cost_usd, solved)`` (one stratum)."""
    return stratified_interval({"": list(outcomes)}, {"": 1})


def stratified_interval(strata: dict[str, list[tuple[Decimal, bool]]], weights: dict[str, int]) -> Interval:
    """Combined ratio estimator over tasks: Σ_t N_t·mean cost_t ÷ Σ_t N_t·mean solved_t, with its 95 % interval.

    ``weights`` is each task's number of attempts in the full design (N_t). The variance is the
    delta-method variance of a stratified ratio, Σ_t N_t²·s²_t(c − R·s)/n_t ÷ Ŝ²: cost differences
    *between* tasks do not widen it, only the spread within a task. A task with a single attempt takes
    the mean within-task relative variance of the others (none known: no interval yet).
    """
    filled = {t: v for t, v in strata.items() if v and weights.get(t)}
    n = sum(len(v) for v in filled.values())
    spend = sum((c for v in filled.values() for c, _ in v), ZERO)
    solved = sum(1 for v in filled.values() for _, s in v if s)
    if solved == 0:
        return Interval(n, 0, spend, None, None)
    c_hat = sum(Decimal(weights[t]) * sum((c for c, _ in v), ZERO) / len(v) for t, v in filled.items())
    s_hat = sum(weights[t] * sum(1 for _, s in v if s) / len(v) for t, v in filled.items())
    point = c_hat / Decimal(repr(s_hat))
    r = float(point)
    known: dict[str, float] = {}
    for t, v in filled.items():
        if len(v) >= 2:
            resid = [float(c) - r * (1.0 if s else 0.0) for c, s in v]
            mean = sum(resid) / len(v)
            known[t] = sum((e - mean) ** 2 for e in resid) / (len(v) - 1)
    if not known or r <= 0:
        return Interval(n, solved, spend, point, None)
    fallback = sum(known.values()) / len(known)
    var = sum(weights[t] ** 2 * known.get(t, fallback) / len(v) for t, v in filled.items()) / (s_hat * s_hat)
    return Interval(n, solved, spend, point, 100.0 * Z95 * math.sqrt(var) / r)


def order_units(attempts: Iterable[Attempt], seed: int) -> dict[str, dict[str, list[Attempt]]]:
    """Per model and task, the attempts in a seeded order that is the same for every model."""
    grouped: dict[str, dict[str, list[Attempt]]] = defaultdict(lambda: defaultdict(list))
    for att in attempts:
        grouped[att.model.name][att.task.key].append(att)
    for per_task in grouped.values():
        for key, units in per_task.items():
            units.sort(key=lambda a: (a.case.id, a.repeat))
            random.Random(f"{seed}:{key}").shuffle(units)
    return {m: dict(t) for m, t in grouped.items()}


def attempt_outcomes(records: Iterable[dict[str, Any]], cost_of: Callable[[dict[str, Any]], Decimal]
                     ) -> dict[tuple[str, str, str, int], tuple[Decimal, bool]]:
    """Fold landed call records into attempts: ``(model, task key, case, repeat) -> (spend, solved)``."""
    spend: dict[tuple[str, str, str, int], Decimal] = defaultdict(lambda: ZERO)
    solved: dict[tuple[str, str, str, int], bool] = {}
    for rec in records:
        key = (f"{rec['provider']}/{rec['model']}", f"{rec['task_id']}@{rec['task_version']}",
               rec["case_id"], int(rec["repeat_index"]))
        spend[key] += cost_of(rec)
        grade = rec.get("grade")
        if grade is not None:
            solved[key] = bool(grade.get("passed"))
    return {k: (v, solved.get(k, False)) for k, v in spend.items()}


@dataclass
class Round:
    """What one round asked for."""

    number: int
    attempts: list[Attempt]
    models: dict[str, int]
    """New attempts per model."""


class AdaptiveDesign:
    """Chooses rounds from the data landed so far; see the module docstring."""

    def __init__(self, design: Design, attempts: Sequence[Attempt],
                 history: dict[str, list[tuple[str, tuple[Decimal, bool]]]] | None = None,
                 recent: dict[str, set[str]] | None = None) -> None:
        self.design = design
        self.states = {m: ModelState(m, units) for m, units in order_units(attempts, design.seed).items()}
        self.history = history or {}
        self.covered = {m: frozenset((recent or {}).get(m, ())) if design.coverage_nights > 1 else frozenset()
                        for m in self.states}
        """Per model, the tasks sampled in the last ``coverage_nights - 1`` nights: they may skip tonight."""
        self.rounds: list[Round] = []
        self.share_usd = design.budget_usd / len(self.states) if self.states else ZERO

    def first_round(self) -> Round:
        """Every model at the initial fraction of every task (at least one case of each task not covered)."""
        return self._round({m: self.design.initial_fraction for m in self.states})

    def next_round(self, outcomes: dict[tuple[str, str, str, int], tuple[Decimal, bool]]) -> Round | None:
        """Update intervals from ``outcomes`` (the night's attempts so far); None once every model stopped."""
        fractions: dict[str, float] = {}
        for name, st in self.states.items():
            self._update(st, outcomes)
            if st.stopped_by is None:
                fractions[name] = self._next_fraction(st)
        if not fractions:
            return None
        return self._round(self._within_budget(fractions, outcomes))

    def _update(self, st: ModelState, outcomes: dict[tuple[str, str, str, int], tuple[Decimal, bool]]) -> None:
        strata: dict[str, list[tuple[Decimal, bool]]] = defaultdict(list)
        for task_key, outcome in self.history.get(st.name, []):
            strata[task_key].append(outcome)
        night = []
        for k in self._keys(st):
            if k in outcomes:
                strata[k[1]].append(outcomes[k])
                night.append(outcomes[k])
        st.interval = stratified_interval(strata, {key: len(order) for key, order in st.units.items()})
        st.night_spend_usd = spent = sum((c for c, _ in night), ZERO)
        if st.stopped_by is not None:
            return
        if st.interval.within(self.design.target_halfwidth_pct):
            st.stopped_by = "target"
        elif self.share_usd > 0 and spent >= self.share_usd:
            st.stopped_by = "budget"
        elif st.taken_units >= st.total_units:
            st.stopped_by = "exhausted"
        elif len(self.rounds) >= self.design.max_rounds:
            st.stopped_by = "rounds"

    def _next_fraction(self, st: ModelState) -> float:
        """The fraction that should bring the interval to the target (n grows with (hw/target)²).

        The growth is capped at twice the POOLED attempts (the night plus its window), not at a multiple of
        tonight's sample: with a long window behind it a night may start from a handful of attempts and still
        know its variance well, and a multiple of a handful would stall it one case per round.
        """
        now = st.taken_units / st.total_units
        hw = st.interval.halfwidth_pct if st.interval else None
        if hw is None:
            return min(1.0, max(now * 2, now + self.design.initial_fraction))
        pooled = st.interval.n if st.interval else st.taken_units
        needed = pooled * ((hw / self.design.target_halfwidth_pct) ** 2 * 1.1 - 1)
        return min(1.0, now + max(min(needed, 2 * pooled), 1) / st.total_units)

    def _within_budget(self, fractions: dict[str, float],
                       outcomes: dict[tuple[str, str, str, int], tuple[Decimal, bool]]) -> dict[str, float]:
        """Cut each model's growth to what its remaining share pays for, at its measured cost per attempt."""
        if self.share_usd <= 0:
            return fractions
        cut = {}
        for name, frac in fractions.items():
            st = self.states[name]
            night = [outcomes[k][0] for k in self._keys(st) if k in outcomes]
            per_unit = sum(night, ZERO) / len(night) if night else ZERO
            left = self.share_usd - sum(night, ZERO)
            if per_unit > 0:
                affordable = int(left / per_unit)
                frac = min(frac, (st.taken_units + max(affordable, 1)) / st.total_units)
            cut[name] = frac
        return cut

    def _round(self, fractions: dict[str, float]) -> Round:
        new = {m: self.states[m].grow_to(f, self.covered[m]) for m, f in fractions.items()}
        for m, added in new.items():  # a growth too small to add a case to any task still adds one
            if not added:
                added.extend(self.states[m].grow_by_one())
        rnd = Round(len(self.rounds) + 1, [a for m in sorted(new) for a in new[m]],
                    {m: len(v) for m, v in new.items()})
        self.rounds.append(rnd)
        return rnd

    @staticmethod
    def _keys(st: ModelState) -> list[tuple[str, str, str, int]]:
        return [(a.model.name, a.task.key, a.case.id, a.repeat) for a in st.chosen()]

    def summary(self) -> list[dict[str, Any]]:
        """Per model: attempts, spend, achieved half-width and what stopped it (for the run summary)."""
        out = []
        for name, st in sorted(self.states.items()):
            iv = st.interval
            out.append({
                "model": name, "attempts": st.taken_units, "planned_attempts": st.total_units,
                "rounds": sum(1 for r in self.rounds if r.models.get(name)),
                "night_spend_usd": str(st.night_spend_usd),
                "pooled_attempts": iv.n if iv else 0,
                "cost_per_solved_usd": str(iv.point_usd) if iv and iv.point_usd is not None else None,
                "halfwidth_pct": round(iv.halfwidth_pct, 2) if iv and iv.halfwidth_pct is not None else None,
                "stopped_by": st.stopped_by or "open",
            })
        return out


async def run_rounds(design: AdaptiveDesign, play: Callable[[list[Attempt]], Awaitable[Any]],
                     outcomes: Callable[[], dict[tuple[str, str, str, int], tuple[Decimal, bool]]]) -> list[Any]:
    """Play rounds until every model stopped; ``outcomes`` reads the night's landed attempts."""
    results = [await play(design.first_round().attempts)]
    while (rnd := design.next_round(outcomes())) is not None:
        if rnd.attempts:
            results.append(await play(rnd.attempts))
    return results


def _history_rows(db_path: Any, run_at: Any, nights: int) -> list[dict[str, Any]]:
    """Attempts of the quality-passed runs in the ``nights`` nights before ``run_at`` (one query)."""
    from datetime import timedelta

    from costbench.store.db import opened, query

    if nights <= 0 or not db_path.exists():
        return []
    with opened(db_path) as con:
        return query(con, "run/attempt_history", since=run_at - timedelta(days=nights), before=run_at)


def attempt_history(db_path: Any, run_at: Any, window_nights: int, models: Iterable[str]
                    ) -> dict[str, list[tuple[str, tuple[Decimal, bool]]]]:
    """Earlier nights' attempts per model, as ``(task key, (spend, solved))`` (quality-passed runs of the window before ``run_at``)."""
    return _pooled(_history_rows(db_path, run_at, window_nights), set(models))


def load_history(db_path: Any, run_at: Any, window_nights: int, coverage_nights: int, models: Iterable[str]
                 ) -> tuple[dict[str, list[tuple[str, tuple[Decimal, bool]]]], dict[str, set[str]]]:
    """The pooled attempts of the window and, per model, the tasks sampled in the last ``coverage_nights - 1``
    nights, from one read of the store."""
    from datetime import timedelta

    wanted = set(models)
    rows = _history_rows(db_path, run_at, max(window_nights, coverage_nights - 1))
    window = [r for r in rows if r["run_at"] >= run_at - timedelta(days=window_nights)]
    recent: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r["model"] in wanted and r["run_at"] >= run_at - timedelta(days=coverage_nights - 1):
            recent[r["model"]].add(r["task_key"])
    return _pooled(window, wanted), dict(recent)


def _pooled(rows: list[dict[str, Any]], wanted: set[str]) -> dict[str, list[tuple[str, tuple[Decimal, bool]]]]:
    found: dict[str, list[tuple[str, tuple[Decimal, bool]]]] = defaultdict(list)
    for row in rows:
        if row["model"] in wanted:
            found[row["model"]].append((row["task_key"], (Decimal(row["spend_usd"]), bool(row["solved"]))))
    return dict(found)


SUMMARY_FILE = "precision.json"
"""Read back by :func:`costbench.store.precision.load_precision`."""


def write_summary(run_dir: Any, summary: dict[str, Any]) -> None:
    """Write the night's precision summary next to its journal (atomically; loaded with the run)."""
    import json
    import os

    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / (SUMMARY_FILE + ".tmp")
    tmp.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    os.replace(tmp, run_dir / SUMMARY_FILE)
