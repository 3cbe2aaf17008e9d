"""Edges of the money path found by `make mutate`: boundaries, tie-breaks and error texts, each pinned.

Fast and offline, part of the mutation test selection (pyproject.toml [tool.mutmut]).
"""

from __future__ import annotations

import asyncio
import time as time_module
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from costbench.errors import BudgetExceeded, PriceBookError
from costbench.prices import costs
from costbench.prices.book import Rates, Window, load_pricebook
from costbench.prices.fx import load_fx
from costbench.run.budget import Budget
from costbench.usage import Usage

D = Decimal
ENTRY = """    - effective_from: 2025-01-01T00:00:00Z
      currency: USD
      rates: {input_uncached: 1, output: 2}
      source: s
      checked_on: 2025-01-01
      confidence: unverified
      evidence: a synthetic price book written for this test
"""


def _book(tmp_path: Path, text: str, name: str = "acme.yml") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text)
    return tmp_path


def test_a_window_includes_its_start_and_excludes_its_end() -> None:
    day = Window(name="day", start_utc=time(9), end_utc=time(17), rates=Rates(input_uncached=D(1), output=D(1)))
    at = datetime(2025, 1, 1, tzinfo=UTC)
    assert [day.contains(at.replace(hour=h, minute=m)) for h, m in ((8, 59), (9, 0), (16, 59), (17, 0))] == [
        False, True, True, False]
    empty = Window(name="none", start_utc=time(9), end_utc=time(9), rates=Rates(input_uncached=D(1), output=D(1)))
    assert not any(empty.contains(at + timedelta(minutes=m)) for m in range(0, 24 * 60, 30))
    beijing = timezone(timedelta(hours=8))
    assert day.contains(datetime(2025, 1, 1, 17, 30, tzinfo=beijing))  # 09:30 UTC


def test_windows_are_read_in_utc_whatever_the_machine_zone(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time_module.tzset()
    try:
        day = Window(name="d", start_utc=time(9), end_utc=time(17), rates=Rates(input_uncached=D(1), output=D(1)))
        assert day.contains(datetime(2025, 1, 1, 10, tzinfo=UTC)) and not day.contains(datetime(2025, 1, 1, 3, tzinfo=UTC))
    finally:
        monkeypatch.delenv("TZ")
        time_module.tzset()


def test_aware_times_are_converted_not_relabelled(tmp_path) -> None:
    text = "provider: acme\nmodels:\n  m1:\n" + ENTRY + ENTRY.replace("2025-01-01T00", "2025-06-01T12").replace(
        "output: 2", "output: 3")
    book = load_pricebook(_book(tmp_path, text))
    paris_summer = timezone(timedelta(hours=2))
    # 13:00 at UTC+2 is 11:00 UTC: still the first entry
    assert book.price_for("acme", "m1", datetime(2025, 6, 1, 13, 0, tzinfo=paris_summer)).rates.output == D(2)
    assert book.price_for("acme", "m1", datetime(2025, 6, 1, 14, 0, tzinfo=paris_summer)).rates.output == D(3)
    assert len(book.version) == 12


def test_tiers_listed_in_any_order_pick_the_highest_reached(tmp_path) -> None:
    text = """provider: acme
models:
  m1:
    - effective_from: 2025-01-01T00:00:00Z
      currency: USD
      rates: {input_uncached: 1, output: 1}
      tiers:
        - {above_input_tokens: 5000, rates: {input_uncached: 3, output: 3}}
        - {above_input_tokens: 1000, rates: {input_uncached: 2, output: 2}}
        - {above_input_tokens: 800, counter: prompt, rates: {input_uncached: 1.5, output: 1.5}}
      source: s
      checked_on: 2025-01-01
      confidence: unverified
      evidence: a synthetic price book written for this test
"""
    entry = load_pricebook(_book(tmp_path, text)).price_for("acme", "m1", datetime(2025, 2, 1, tzinfo=UTC))
    at = datetime(2025, 2, 1, tzinfo=UTC)
    assert costs.rates_at(entry, Usage(input_uncached_tokens=6000), at)[1] == ">5000"
    assert costs.rates_at(entry, Usage(input_uncached_tokens=3000), at)[1] == ">1000"
    # the "prompt" counter leaves cache writes out: 600 + 150 read = 750 ≤ 800 although 100 + 50 writes make 900
    usage = Usage(input_uncached_tokens=600, cache_read_tokens=150, cache_write_5m_tokens=100, cache_write_1h_tokens=50)
    assert costs.rates_at(entry, usage, at)[1] is None
    assert costs.rates_at(entry, Usage(input_uncached_tokens=801), at)[1] == ">800"


def test_overrides_replace_entries_by_id_and_add_models(tmp_path) -> None:
    root = _book(tmp_path / "book", "provider: acme\nmodels:\n  m1:\n" + ENTRY)
    override = tmp_path / "override.yml"
    override.write_text("provider: acme\nmodels:\n  m1:\n" + ENTRY.replace("output: 2", "output: 9")
                        + "  m2:\n" + ENTRY)
    plain = load_pricebook(root)
    book = load_pricebook(root, overrides=[override])
    at = datetime(2025, 2, 1, tzinfo=UTC)
    assert book.price_for("acme", "m1", at).rates.output == D(9) and len(book.entries("acme", "m1")) == 1
    assert book.price_for("acme", "m2", at).rates.output == D(2)
    assert book.version != plain.version  # the override's bytes are part of the version


def test_price_book_load_errors_are_complete_sentences(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(PriceBookError, match=r"empty: no price files \(\*\.yml\)$"):
        load_pricebook(tmp_path / "empty")
    root = _book(tmp_path / "b", "models:\n  m1:\n" + ENTRY)
    with pytest.raises(PriceBookError) as info:
        load_pricebook(root)
    assert str(info.value).endswith("acme.yml: provider: Field required.")
    with pytest.raises(PriceBookError, match=r"acme.yml: models.m1: Input should be a valid list"):
        load_pricebook(_book(tmp_path / "c", "provider: acme\nmodels:\n  m1: 5\n"))


def test_fx_of_a_datetime_uses_its_utc_date(tmp_path) -> None:
    (tmp_path / "fx.yml").write_text("rates:\n  - {currency: EUR, since: 2025-03-01, usd: 1.2, source: t}\n"
                                     "  - {currency: EUR, since: 2025-01-01, usd: 1.1, source: t}\n"
                                     "  - {currency: EUR, since: 2025-05-01, usd: 1.3, source: t}\n")
    fx = load_fx(tmp_path / "fx.yml")
    assert fx.rate("EUR", datetime(2025, 4, 30, 23, 59, tzinfo=UTC)) == D("1.2")  # the middle one of three
    assert fx.rate("EUR", datetime(2025, 5, 1, tzinfo=UTC)) == D("1.3")


def test_estimate_exactly_at_a_cap_is_allowed() -> None:
    budget = Budget(per_run_usd=D("1"), per_day_usd=D("2"), spent_today_usd=D("1"))
    budget.check_estimate(D("1"))  # equal to both what is left today and the per-run cap
    with pytest.raises(BudgetExceeded) as info:
        budget.check_estimate(D("1.000000000001"))
    assert str(info.value) == ("estimated cost $1.0000 exceeds the per-run cap $1; raise [budget] per_run_usd in "
                               "costbench.toml or run fewer models/tasks")


def test_in_doubt_calls_add_up_and_a_call_fitting_exactly_does_not_wait() -> None:
    budget = Budget(per_run_usd=D("1"), per_day_usd=D("5"))
    budget.count_in_doubt(D("0.25"))
    budget.count_in_doubt(D("0.25"))
    assert budget.spent_usd == D("0.5")

    async def exact_fit() -> bool:
        held = budget.reserve(D("0.25"))
        waiter = asyncio.create_task(budget.reserve_when_possible(D("0.25")))  # 1 - 0.5 - 0.25 = 0.25 left: fits
        for _ in range(3):
            await asyncio.sleep(0)
        done = waiter.done()
        budget.settle(held, D("0"))
        await waiter
        return done

    assert asyncio.run(exact_fit())
    assert budget.reserved_usd == D("0.25") and budget.headroom_usd == D("0.25")
