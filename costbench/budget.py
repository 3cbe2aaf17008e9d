"""The hard budget: a per-run and a per-day cap in USD, enforced before each call is sent.

Each call reserves its worst case (an upper bound of its prompt tokens plus ``max_output_tokens``,
at the most expensive rates of its price entry) before it is sent; when it finishes, the reservation
is replaced by the real cost. So with any number of calls in flight, spent + reserved never passes
the cap. A request sent but not landed (a crash) stays spent at its reservation.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    @property
    def headroom_usd(self) -> Decimal:
        """What may still be reserved."""
        run_left = self.per_run_usd - self.spent_usd - self.reserved_usd
        day_left = self.per_day_usd - self.spent_today_usd - self.spent_usd - self.reserved_usd
        return min(run_left, day_left)

    def check_estimate(self, estimate_usd: Decimal) -> None:
        """Refuse a run whose pre-flight estimate passes either cap."""
        if estimate_usd > self.per_run_usd:
            raise BudgetExceeded(
                f"estimated cost ${estimate_usd:.4f} exceeds the per-run cap ${self.per_run_usd}; "
                "raise [budget] per_run_usd in costbench.toml or run fewer models/tasks"
            )
        if self.spent_today_usd + estimate_usd > self.per_day_usd:
            raise BudgetExceeded(
                f"estimated cost ${estimate_usd:.4f} plus ${self.spent_today_usd:.4f} already spent today exceeds "
                f"the daily cap ${self.per_day_usd}; raise [budget] per_day_usd or wait until tomorrow (UTC)"
            )

    def reserve(self, worst_case_usd: Decimal) -> Decimal:
        """Reserve a call's worst case or raise :class:`BudgetExceeded` without sending it."""
        if worst_case_usd > self.headroom_usd:
            raise BudgetExceeded(
                f"budget reached: a call needing up to ${worst_case_usd:.6f} does not fit in the remaining "
                f"${max(self.headroom_usd, ZERO):.6f} (spent ${self.spent_usd:.6f} of ${self.per_run_usd} per run)"
            )
        self.reserved_usd += worst_case_usd
        return worst_case_usd

    def settle(self, reservation: Decimal, actual_usd: Decimal) -> None:
        """Replace a reservation by the call's real cost."""
        self.reserved_usd -= reservation
        self.spent_usd += actual_usd

    def count_in_doubt(self, reservation: Decimal) -> None:
        """A request sent earlier but never landed counts as spent at its reservation."""
        self.spent_usd += reservation
