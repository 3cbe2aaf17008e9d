"""The hard budget: reservations before sending, settlement after, caps never passed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from costbench.run.budget import Budget
from costbench.errors import BudgetExceeded
from costbench.run.ratelimit import RateLimiter


def test_reservations_never_let_spend_pass_the_cap() -> None:
    budget = Budget(per_run_usd=Decimal("1.00"), per_day_usd=Decimal("10"))
    held = [budget.reserve(Decimal("0.30")) for _ in range(3)]
    with pytest.raises(BudgetExceeded, match="does not fit in the remaining"):
        budget.reserve(Decimal("0.30"))
    for r in held:
        budget.settle(r, Decimal("0.05"))
    assert budget.spent_usd == Decimal("0.15")
    assert budget.reserved_usd == 0
    assert budget.headroom_usd == Decimal("0.85")


def test_daily_cap_counts_earlier_runs() -> None:
    budget = Budget(per_run_usd=Decimal("5"), per_day_usd=Decimal("2"), spent_today_usd=Decimal("1.9"))
    with pytest.raises(BudgetExceeded):
        budget.reserve(Decimal("0.2"))
    assert budget.reserve(Decimal("0.1")) == Decimal("0.1")


def test_preflight_estimate_refuses_above_either_cap() -> None:
    budget = Budget(per_run_usd=Decimal("1"), per_day_usd=Decimal("3"), spent_today_usd=Decimal("2.5"))
    with pytest.raises(BudgetExceeded, match="per-run cap"):
        budget.check_estimate(Decimal("1.01"))
    with pytest.raises(BudgetExceeded, match="daily cap"):
        budget.check_estimate(Decimal("0.6"))
    budget.check_estimate(Decimal("0.5"))


def test_in_doubt_calls_count_as_spent() -> None:
    budget = Budget(per_run_usd=Decimal("1"), per_day_usd=Decimal("1"))
    budget.count_in_doubt(Decimal("0.75"))
    with pytest.raises(BudgetExceeded):
        budget.reserve(Decimal("0.3"))


def test_rate_limiter_spaces_requests_evenly() -> None:
    async def go() -> list[float]:
        limiter = RateLimiter(rpm=1200)  # one every 50 ms
        loop = asyncio.get_running_loop()
        stamps = []
        for _ in range(5):
            await limiter.acquire()
            stamps.append(loop.time())
        return stamps

    stamps = asyncio.run(go())
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert all(g >= 0.045 for g in gaps), gaps  # a lower bound only: a loaded machine may be slower, never faster


def test_rate_limiter_tpm_waits_for_tokens() -> None:
    async def go() -> float:
        limiter = RateLimiter(tpm=60_000)  # 1,000 tokens per second
        loop = asyncio.get_running_loop()
        await limiter.acquire(60_000)  # the whole minute's budget
        start = loop.time()
        await limiter.acquire(200)  # needs 0.2 s of refill
        return loop.time() - start

    assert asyncio.run(go()) >= 0.15  # a lower bound only (no wall-clock upper bound in tests)


def test_waiting_reservation_proceeds_when_others_settle_and_fails_only_when_it_never_fits() -> None:
    async def never_fits() -> None:
        budget = Budget(per_run_usd=Decimal("1.00"), per_day_usd=Decimal("10"), spent_usd=Decimal("0.2"))
        await budget.reserve_when_possible(Decimal("0.9"))

    with pytest.raises(BudgetExceeded):
        asyncio.run(never_fits())

    async def settles_later() -> Decimal:
        budget = Budget(per_run_usd=Decimal("1.00"), per_day_usd=Decimal("10"))
        first = budget.reserve(Decimal("0.80"))
        waiter = asyncio.create_task(budget.reserve_when_possible(Decimal("0.50")))
        await asyncio.sleep(0.01)
        assert not waiter.done()
        budget.settle(first, Decimal("0.10"))
        return await asyncio.wait_for(waiter, 1)

    assert asyncio.run(settles_later()) == Decimal("0.50")
