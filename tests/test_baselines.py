"""Non-LLM baselines: real jieba / rules / regex output, graded by the task's own grader, landed like a model."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costbench import pipeline
from costbench.catalog.baselines import answer, get_baseline
from costbench.catalog.checks import validate_catalog
from costbench.catalog.graders import grade
from costbench.catalog.tasks import load_catalog
from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.errors import CatalogError
from costbench.run import journal
from costbench.run.baselines import run_baselines
from costbench.store.db import opened, rows
from tests.conftest import ROOT
from tests.runner_support import write_config

CATALOG = ROOT / "tasks_catalog"


def test_jieba_is_graded_by_the_segmentation_grader() -> None:
    task = load_catalog(CATALOG).get("zh_word_segmentation")
    cases = {c.id: c for c in task.cases}
    assert answer(task, cases["beijing"]) == "我 爱 北京 天安门"
    assert grade(task.grader, answer(task, cases["beijing"]), cases["beijing"]).score == 1.0
    # jieba keeps 开会讨论 as one word where the target splits it: 5 of 6 words match → F1 = 2·4/(5+6) = 0.7273
    meeting = grade(task.grader, answer(task, cases["meeting"]), cases["meeting"])
    assert answer(task, cases["meeting"]) == "明天 上午 九点 开会讨论 预算"
    assert not meeting.passed and meeting.score == 0.7273


def test_rule_based_language_identifier() -> None:
    identify = get_baseline("langid_rules")
    assert [identify(t) for t in ("Der Zug hat zwanzig Minuten Verspätung.", "会议改到了星期四下午。",
                                  "O relatório foi enviado ontem à noite.", "Spotkanie zostało przełożone na czwartek.")] \
        == ["de", "zh", "pt", "pl"]


def test_regex_invoice_extractor_finds_what_a_regex_can() -> None:
    task = load_catalog(CATALOG).get("invoice_extraction")
    cases = {c.id: c for c in task.cases}
    out = answer(task, cases["acme"])
    assert out == ('```json\n{"vendor": "ACME Tooling GmbH", "invoice_number": "INV-2025-0042", "total": 1250.5, '
                   '"currency": "EUR", "due_date": "2025-11-30"}\n```')
    assert grade(task.grader, out, cases["acme"]).passed
    kyoto = grade(task.grader, answer(task, cases["kyoto"]), cases["kyoto"])  # no legal-form suffix: vendor missed
    assert not kyoto.passed


def test_unknown_baseline_is_a_clear_catalog_error(tmp_path: Path) -> None:
    copy = tmp_path / "cat"
    copy.mkdir()
    for name in ("language_identification.yaml", "catalog.lock.json"):
        shutil.copy(CATALOG / name, copy / name)
    path = copy / "language_identification.yaml"
    path.write_text(path.read_text().replace("baseline: langid_rules", "baseline: langid_rule"))
    with pytest.raises(CatalogError, match=r"language_identification.yaml: field 'baseline': unknown baseline "
                                           r"'langid_rule'.*Did you mean: langid_rules"):
        validate_catalog(copy)


def test_baselines_run_nightly_as_free_models(tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(seed=4, catalog_dir=CATALOG)) as emu:
        cfg = write_config(tmp_path, emu.url, models=("deepseek/deepseek-chat",), tasks=["language_identification"])
        at = datetime(2025, 9, 22, 2, tzinfo=UTC)
        night = pipeline.run_night(cfg, run_at=at, run_id="n1", quiet=True)
        billed = [e for e in emu.ledger.entries() if e.billed]
    assert night.quality.passed, night.quality.failures
    assert len(billed) == 3  # the emulator saw the model's 3 calls and nothing from the baseline
    with opened(cfg.paths.db) as con:
        got = rows(con, """SELECT c.model, c.case_id, c.latency_ms, k.total_usd, g.passed
                           FROM calls c JOIN costs k USING (call_id) JOIN grades g USING (call_id)
                           WHERE c.provider = 'baseline' ORDER BY c.case_id""")
    window = [c.id for c in load_catalog(CATALOG).get("language_identification").cases_for(3, at.date())]
    assert [r["case_id"] for r in got] == sorted(window)
    assert all(r["model"] == "langid_rules" and r["total_usd"] == Decimal(0) and r["latency_ms"] >= 0
               and r["passed"] for r in got)
    again = run_baselines(cfg, "n1", at + timedelta(days=3))  # resumed days later: same window, nothing twice
    assert (again.answered, again.skipped) == (0, 3)
    assert len([r for r in journal.landed_records(cfg.paths.landing, "n1").values() if r["provider"] == "baseline"]) == 3
