"""Adaptive nightly sampling: the interval, the stopping rule, coverage, determinism, resume and budget."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest

from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.run import adaptive, journal
from costbench.run.adaptive import AdaptiveDesign, Design, stratified_interval
from costbench.run.runner import run_catalog
from costbench.report.site import render_site
from costbench.store import loader
from costbench.store.db import opened, rows
from tests.conftest import ROOT
from tests.runner_support import write_config

D = Decimal


def _attempts(models: list[str], tasks: dict[str, int]) -> list[SimpleNamespace]:
    """Stand-in attempts: ``tasks`` maps a task key to its number of cases."""
    return [SimpleNamespace(model=SimpleNamespace(name=m), task=SimpleNamespace(key=t),
                            case=SimpleNamespace(id=f"c{i:02d}"), repeat=0)
            for m in models for t, n in tasks.items() for i in range(n)]


def test_stratified_interval_matches_the_hand_computed_figures() -> None:
    # Task A (weight 2): costs 1, 3, both solved -> mean cost 2, mean solved 1.
    # Task B (weight 2): costs 2, 2, one solved  -> mean cost 2, mean solved 0.5.
    # R = (2*2 + 2*2) / (2*1 + 2*0.5) = 8/3.
    # Residuals e = c - R*s: A: -5/3, 1/3 (variance 2); B: -2/3, 2 (variance 32/9).
    # Var(R) = (2^2 * 2/2 + 2^2 * (32/9)/2) / 3^2 = 100/81 -> sd 10/9;
    # half-width 1.959964 * 10/9 = 2.177738; relative to 8/3: 81.665 %.
    iv = stratified_interval({"A": [(D(1), True), (D(3), True)], "B": [(D(2), True), (D(2), False)]},
                             {"A": 2, "B": 2})
    assert iv.point_usd == D(8) / D(3)
    assert iv.n == 4 and iv.solved == 3 and iv.spend_usd == D(8)
    assert iv.halfwidth_pct == pytest.approx(81.665, abs=0.001)


def test_between_task_cost_differences_do_not_widen_the_interval() -> None:
    # Every attempt solved; task A always costs 1, task B always costs 100: no spread within a task.
    iv = stratified_interval({"A": [(D(1), True)] * 3, "B": [(D(100), True)] * 3}, {"A": 3, "B": 3})
    assert iv.point_usd == D("50.5") and iv.halfwidth_pct == 0.0
    pooled = adaptive.ratio_interval([(D(1), True)] * 3 + [(D(100), True)] * 3)
    assert pooled.halfwidth_pct > 50  # the unstratified interval would call this very uncertain


def test_no_success_gives_no_estimate_not_zero() -> None:
    iv = stratified_interval({"A": [(D("0.1"), False)] * 4}, {"A": 4})
    assert iv.point_usd is None and iv.halfwidth_pct is None and not iv.within(10.0)


def test_first_round_covers_every_task_of_every_model() -> None:
    tasks = {"t1@1": 20, "t2@1": 3, "t3@1": 11}
    design = AdaptiveDesign(Design(initial_fraction=0.1), _attempts(["m/a", "m/b"], tasks))
    first = design.first_round()
    for model in ("m/a", "m/b"):
        per_task = {t: sum(1 for a in first.attempts if a.model.name == model and a.task.key == t) for t in tasks}
        assert per_task == {"t1@1": 2, "t2@1": 1, "t3@1": 2}  # ceil(10 %), at least one


def test_a_task_sampled_in_the_last_nights_may_skip_tonight_but_never_starves() -> None:
    att = _attempts(["m/a"], {"t1@1": 4, "t2@1": 4})
    recent = {"m/a": {"t1@1"}}  # t1 was sampled within the last coverage_nights - 1 nights
    first = AdaptiveDesign(Design(initial_fraction=0.1, coverage_nights=3), att, recent=recent).first_round()
    assert sorted(a.task.key for a in first.attempts) == ["t2@1"]  # 10 % of 4 rounds to 0 for covered t1 only
    every_night = AdaptiveDesign(Design(initial_fraction=0.1, coverage_nights=1), att, recent=recent).first_round()
    assert sorted(a.task.key for a in every_night.attempts) == ["t1@1", "t2@1"]  # coverage 1: every task, every night


def _outcomes(design: AdaptiveDesign, cost: Decimal, solved_every: int) -> dict:
    """Every attempt chosen so far: the same cost, solved unless its case number (1-based) is a multiple of ``solved_every``."""
    out = {}
    for st in design.states.values():
        for a in st.chosen():
            out[(a.model.name, a.task.key, a.case.id, a.repeat)] = (cost, (int(a.case.id[1:]) + 1) % solved_every != 0)
    return out


def test_a_model_stops_at_the_target_and_another_keeps_sampling() -> None:
    tasks = {"t1@1": 40, "t2@1": 40}
    design = AdaptiveDesign(Design(target_halfwidth_pct=10.0, initial_fraction=0.25),
                            _attempts(["m/steady", "m/noisy"], tasks))
    design.first_round()
    outcomes = _outcomes(design, D("0.01"), solved_every=1000)  # all solved: steady has zero spread
    for key in list(outcomes):
        if key[0] == "m/noisy":  # every other case fails: a wide interval on 20 attempts
            outcomes[key] = (D("0.01"), int(key[2][1:]) % 2 == 0)
    nxt = design.next_round(outcomes)
    assert design.states["m/steady"].stopped_by == "target"
    assert design.states["m/noisy"].stopped_by is None
    assert nxt is not None and set(nxt.models) == {"m/noisy"} and nxt.models["m/noisy"] > 0


def test_a_model_stops_when_its_budget_share_is_spent() -> None:
    design = AdaptiveDesign(Design(target_halfwidth_pct=1.0, initial_fraction=0.5, budget_usd=D("0.30")),
                            _attempts(["m/a", "m/b"], {"t@1": 20}))
    design.first_round()  # 10 attempts each at $0.02 = $0.20 > the $0.15 share
    outcomes = _outcomes(design, D("0.02"), solved_every=2)
    assert design.next_round(outcomes) is None
    assert {st.stopped_by for st in design.states.values()} == {"budget"}


def test_the_design_is_reproducible_with_its_seed() -> None:
    att = _attempts(["m/a"], {"t1@1": 30, "t2@1": 30})

    def rounds(seed: int) -> list[list[str]]:
        design = AdaptiveDesign(Design(target_halfwidth_pct=0.5, seed=seed), att)
        chosen = [[a.case.id for a in design.first_round().attempts]]
        while (rnd := design.next_round(_outcomes(design, D("0.01"), solved_every=3))) is not None:
            chosen.append([a.case.id for a in rnd.attempts])
        return chosen

    assert rounds(1) == rounds(1)
    assert rounds(1) != rounds(2)
    assert sum(len(r) for r in rounds(1)) == 60  # a target it cannot reach: the night ends exhausted


# --- end to end against the emulator -------------------------------------------------------------------------

TASKS = ["capital_cities", "math_word_problems", "sentiment_classification", "unit_conversion"]
ADAPTIVE = 'sampling = "adaptive"\ntarget_halfwidth_pct = 5.0\ninitial_fraction = 0.3\nmax_rounds = 3\nseed = 4\n'


@pytest.fixture
def emulator():
    with EmulatorServer(EmulatorConfig(seed=3, catalog_dir=ROOT / "tasks_catalog")) as emu:
        yield emu


def _adaptive_config(tmp_path, url, per_run_usd="5.00"):
    cfg = write_config(tmp_path, url, tasks=TASKS, repeats=2, per_run_usd=per_run_usd)
    return cfg.model_copy(update={"run": cfg.run.model_copy(update={
        "sampling": "adaptive", "target_halfwidth_pct": 5.0, "initial_fraction": 0.3, "max_rounds": 3, "seed": 4})})


def test_an_adaptive_night_lands_every_round_once_and_records_its_precision(tmp_path, emulator) -> None:
    cfg = _adaptive_config(tmp_path, emulator.url)
    result = run_catalog(cfg, run_id="a1")
    landed = journal.landed_records(cfg.paths.landing, "a1")
    billed = [e.call_id for e in emulator.ledger.entries() if e.billed]
    assert sorted(billed) == sorted(landed)  # nothing paid twice across rounds
    summary = json.loads((journal.run_dir(cfg.paths.landing, "a1") / "precision.json").read_text())
    assert summary["rounds"] >= 2 and result.precision == summary
    for m in summary["models"]:
        mine = [r for r in landed.values() if f"{r['provider']}/{r['model']}" == m["model"]]
        assert len({(r["task_id"], r["case_id"], r["repeat_index"]) for r in mine}) == m["attempts"]
        assert {r["task_id"] for r in mine} == set(TASKS)  # no task starves
        assert m["stopped_by"] in {"target", "exhausted", "rounds"}
    with opened(cfg.paths.db) as con:
        loader.load_run(con, cfg.paths.landing, "a1")
        stored = rows(con, "SELECT model, attempts, night_spend_usd FROM run_precision ORDER BY model")
        render_site(con, tmp_path / "site")
    assert [(r["model"], r["attempts"]) for r in stored] == [(m["model"], m["attempts"]) for m in summary["models"]]
    assert [D(r["night_spend_usd"]) for r in stored] == [D(m["night_spend_usd"]) for m in summary["models"]]
    index = (tmp_path / "site" / "index.html").read_text()
    table = index[index.index('id="precision"'):].split("</table>")[0]
    for m in summary["models"]:  # the site's "price of precision" lists each model with what it sampled
        assert m["model"] in table and f"{m['attempts']} / {m['planned_attempts']}" in table


def test_a_night_killed_mid_round_resumes_to_the_same_design(tmp_path, emulator, monkeypatch) -> None:
    whole = _adaptive_config(tmp_path / "whole", emulator.url)
    run_catalog(whole, run_id="n1")
    expected = sorted(journal.landed_records(whole.paths.landing, "n1"))

    cfg = _adaptive_config(tmp_path / "crash", emulator.url)
    real_rounds = adaptive.run_rounds

    async def crash_in_round_two(design, play, outcomes):
        played = 0

        async def partial(batch):
            nonlocal played
            played += 1
            if played == 2:  # land half of round two, then die
                await play(batch[: len(batch) // 2])
                raise KeyboardInterrupt
            return await play(batch)

        return await real_rounds(design, partial, outcomes)

    monkeypatch.setattr(adaptive, "run_rounds", crash_in_round_two)
    with pytest.raises(KeyboardInterrupt):
        run_catalog(cfg, run_id="n1")
    monkeypatch.setattr(adaptive, "run_rounds", real_rounds)
    billed_before = len(emulator.ledger.entries())
    again = run_catalog(cfg, run_id="n1")
    assert again.skipped_calls > 0
    landed = journal.landed_records(cfg.paths.landing, "n1")
    assert sorted(landed) == expected  # the same call ids: the resumed night chose the same rounds
    # every call of the crashed run was billed once; the resume paid only for what had not landed
    assert len(emulator.ledger.entries()) - billed_before == again.sent_calls
    assert all(e.billed_amount is not None for e in emulator.ledger.entries() if e.billed)


def test_the_budget_cap_holds_under_adaptive_sampling(tmp_path, emulator) -> None:
    unconstrained = _adaptive_config(tmp_path / "free", emulator.url)
    free = run_catalog(unconstrained, run_id="b0")
    cap = (free.spent_usd / 3).quantize(D("0.000001"))
    cfg = _adaptive_config(tmp_path / "capped", emulator.url, per_run_usd=str(cap))
    before = {e.call_id for e in emulator.ledger.entries()}
    run_catalog(cfg, run_id="b1")
    summary = json.loads((journal.run_dir(cfg.paths.landing, "b1") / "precision.json").read_text())
    assert "budget" in {m["stopped_by"] for m in summary["models"]}
    billed = [e for e in emulator.ledger.entries() if e.call_id not in before and e.billed]
    assert {e.billed_currency for e in billed} == {"USD"}  # today both personas invoice in USD (billing.yml)
    invoice = sum((D(e.billed_amount) for e in billed), D(0))
    assert 0 < invoice <= cap


def test_a_second_night_pools_the_first_from_the_store(tmp_path, emulator) -> None:
    from datetime import UTC, datetime

    from costbench import pipeline

    cfg = _adaptive_config(tmp_path, emulator.url)
    cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"coverage_nights": 2, "initial_fraction": 0.01})})
    nights = [datetime(2025, 10, 1, 2, tzinfo=UTC), datetime(2025, 10, 2, 2, tzinfo=UTC)]
    runs = [pipeline.run_night(cfg, run_at=at, emulator_url=emulator.url, quiet=True).run for at in nights]
    first, second = ({m["model"]: m for m in r.precision["models"]} for r in runs)
    for model, m in second.items():  # the window holds night one: the interval pools both nights
        assert m["pooled_attempts"] == first[model]["attempts"] + m["attempts"]
