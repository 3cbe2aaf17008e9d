"""The hard budget: a per-run and a per-day cap in USD, enforced before each call is sent.

Each call reserves its worst case (an upper bound of its prompt tokens plus ``max_output_tokens``,
at the most expensive rates of its price entry) before it is sent; when it finishes, the reservation
is replaced by the real cost. So with any number of calls in flight, spent + reserved never passes
the cap. A request sent but not landed (a crash) stays spent at its reservation.

A resumed run starts from what it already spent: its landed calls at what they were charged, and its
in-doubt calls (sent, never landed) at their reservation until a resend proves their cost; the daily cap
starts from every other run of the day (their journals, so unloaded and still-running runs count too).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal

from costbench.errors import BudgetExceeded

ZERO = Decimal(0)


@dataclass
class Budget:
    """Caps and running totals, all in USD."""

    per_run_usd: Decimal
    per_day_usd: Decimal
    spent_today_usd: Decimal = ZERO
    """Spent by earlier runs on the same (UTC) day."""
    spent_usd: Decimal = ZERO
    reserved_usd: Decimal = ZERO
    in_doubt_usd: dict[str, Decimal] = field(default_factory=dict)
    """The in-doubt calls counted in ``spent_usd``, by call id, until a resend proves their cost."""
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def run_left_usd(self) -> Decimal:
        """What the per-run cap still allows (negative once passed)."""
        return self.per_run_usd - self.spent_usd - self.reserved_usd

    @property
    def day_left_usd(self) -> Decimal:
        """What the per-day cap still allows (negative once passed)."""
        return self.per_day_usd - self.spent_today_usd - self.spent_usd - self.reserved_usd

    @property
    def headroom_usd(self) -> Decimal:
        """What may still be reserved."""
        return min(self.run_left_usd, self.day_left_usd)

    def check_estimate(self, estimate_usd: Decimal) -> None:
        """Refuse a run whose pre-flight estimate (plus what the run already spent) passes either cap."""
        spent = f" plus ${self.spent_usd:.4f} this run already spent" if self.spent_usd else ""
        if self.spent_usd + estimate_usd > self.per_run_usd:
            raise BudgetExceeded(
                f"estimated cost ${estimate_usd:.4f}{spent} exceeds the per-run cap ${self.per_run_usd}; "
                "raise [budget] per_run_usd in costbench.toml or run fewer models/tasks"
            )
        if self.spent_today_usd + self.spent_usd + estimate_usd > self.per_day_usd:
            raise BudgetExceeded(
                f"estimated cost ${estimate_usd:.4f}{spent} plus ${self.spent_today_usd:.4f} already spent today "
                f"exceeds the daily cap ${self.per_day_usd}; raise [budget] per_day_usd or wait until tomorrow (UTC)"
            )

    def reserve(self, worst_case_usd: Decimal) -> Decimal:
        """Reserve a call's worst case now or raise :class:`BudgetExceeded` without sending it."""
        if worst_case_usd > self.headroom_usd:
            raise BudgetExceeded(
                f"budget reached: a call needing up to ${worst_case_usd:.6f} does not fit in the remaining "
                f"${max(self.headroom_usd, ZERO):.6f} (spent ${self.spent_usd:.6f} of ${self.per_run_usd} per run)"
            )
        self.reserved_usd += worst_case_usd
        return worst_case_usd

    async def reserve_when_possible(self, worst_case_usd: Decimal) -> Decimal:
        """Reserve, waiting while other calls' reservations are in flight; raise only when it can never fit.

        A call that does not fit only because others hold reservations waits for them to settle (their
        real cost is usually far below the worst case); once nothing is reserved and it still does not
        fit, the cap is truly reached.
        """
        while worst_case_usd > self.headroom_usd:
            if self.reserved_usd <= 0:
                return self.reserve(worst_case_usd)  # raises BudgetExceeded with the figures
            self._changed.clear()
            await self._changed.wait()
        return self.reserve(worst_case_usd)

    def settle(self, reservation: Decimal, actual_usd: Decimal) -> None:
        """Replace a reservation by the call's real cost (and wake calls waiting for headroom)."""
        self.reserved_usd -= reservation
        self.spent_usd += actual_usd
        self._changed.set()

    def count_in_doubt(self, reservation: Decimal, call_id: str | None = None) -> None:
        """A request sent earlier but never landed counts as spent at its reservation."""
        self.spent_usd += reservation
        if call_id is not None:
            self.in_doubt_usd[call_id] = self.in_doubt_usd.get(call_id, ZERO) + reservation

    def count_landed(self, charged_usd: Decimal) -> None:
        """What a resumed run's landed calls were charged counts as spent."""
        self.spent_usd += charged_usd

    async def reserve_resend(self, call_id: str, worst_case_usd: Decimal) -> Decimal:
        """Reserve the resend of an in-doubt call to an idempotent provider: its in-doubt charge becomes its
        reservation (the key makes first send and resend one bill), topped up if the worst case grew."""
        held = self.in_doubt_usd.pop(call_id, ZERO)
        self.spent_usd -= held
        self.reserved_usd += held
        extra = worst_case_usd - held
        if extra > 0:
            try:
                return held + await self.reserve_when_possible(extra)
            except BudgetExceeded:
                self.reserved_usd -= held  # not sent: the in-doubt charge stays
                self.count_in_doubt(held, call_id)
                raise
        return held
