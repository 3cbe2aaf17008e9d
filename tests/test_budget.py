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


class FakeClock:
    """The limiter's clock and sleep, driven by the test: waits are read, not timed (no wall-clock asserts)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    import types

    from costbench.run import ratelimit

    fake = FakeClock()
    monkeypatch.setattr(ratelimit, "time", fake)
    monkeypatch.setattr(ratelimit, "asyncio", types.SimpleNamespace(sleep=fake.sleep, Lock=asyncio.Lock))
    return fake


def test_rate_limiter_spaces_requests_evenly(clock) -> None:
    async def go() -> list[float]:
        limiter = RateLimiter(rpm=1200)  # one every 60 / 1,200 = 0.05 s
        stamps = []
        for _ in range(5):
            await limiter.acquire()
            stamps.append(clock.now - 100)
        return stamps

    assert asyncio.run(go()) == pytest.approx([0, 0.05, 0.10, 0.15, 0.20])
    assert clock.waits == pytest.approx([0.05] * 4)  # evenly spaced, no burst and no extra wait


def test_rate_limiter_tpm_waits_for_tokens(clock) -> None:
    async def go() -> None:
        limiter = RateLimiter(tpm=60_000)  # 1,000 tokens per second
        await limiter.acquire(60_000)  # the whole minute's budget: no wait
        await limiter.acquire(200)  # needs 200 / 1,000 = 0.2 s of refill
        clock.now += 1.0  # a second later 1,000 tokens are back: 300 fit at once
        await limiter.acquire(300)

    asyncio.run(go())
    assert clock.waits == pytest.approx([0.2])


def test_rate_limiter_penalty_after_a_429_delays_the_next_send(clock) -> None:
    async def go() -> None:
        limiter = RateLimiter(rpm=600)  # every 0.1 s
        await limiter.acquire()
        limiter.penalize(2.0)  # Retry-After: 2
        await limiter.acquire()

    asyncio.run(go())
    assert clock.waits == pytest.approx([2.0])


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
