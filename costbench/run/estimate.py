"""The pre-flight estimate of a run: what it may cost before anything is sent.

Each call is estimated from its prompt (UTF-8 bytes / 4, the usual size of a BPE token; later turns
of a conversation also carry the earlier turns' outputs) plus its full ``max_output_tokens``, priced
as uncached input at the price entry in force at the run's time. Output rarely reaches the cap, so
the estimate leans high: that is the side a budget check should err on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from costbench.report.formatting import usd
from costbench.usage import Usage

if TYPE_CHECKING:
    from costbench.prices.pricing import Pricer
    from costbench.run.plan import Attempt

BYTES_PER_TOKEN = 4


@dataclass
class Estimate:
    """Estimated calls and USD, per model and in total."""

    calls: int = 0
    total_usd: Decimal = Decimal(0)
    per_model_usd: dict[str, Decimal] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable lines, one per model and a total."""
        out = [f"  {name:<45} {usd(cost)}" for name, cost in sorted(self.per_model_usd.items())]  # never "$0.0000"
        out.append(f"  {'total (' + str(self.calls) + ' calls)':<45} {usd(self.total_usd)}")
        return out


def _turn_prompts(att: Attempt) -> list[int]:
    messages = att.task.render(att.case)
    base = sum(len(m["content"].encode()) for m in messages) // BYTES_PER_TOKEN
    prompts = []
    carried = 0
    for turn, followup in enumerate(["", *att.task.followups(att.case)]):
        carried += len(followup.encode()) // BYTES_PER_TOKEN + (att.task.max_output_tokens if turn else 0)
        prompts.append(base + carried)
    return prompts


def estimate(attempts: Sequence[Attempt], pricer: Pricer, at: datetime) -> Estimate:
    """Estimate every call of ``attempts`` at the prices in force at ``at``."""
    est = Estimate()
    repeats: dict[tuple[str, str, str], tuple[Attempt, int]] = {}
    for att in attempts:  # repeats of a case cost the same: price each case once
        key = (att.model.name, att.task.key, att.case.id)
        first, count = repeats.get(key, (att, 0))
        repeats[key] = (first, count + 1)
    for att, count in repeats.values():
        for prompt_tokens in _turn_prompts(att):
            usage = Usage(input_uncached_tokens=prompt_tokens, output_tokens=att.task.max_output_tokens)
            cost = pricer.cost_usd(att.model.provider, att.model.model, at, usage) * count
            est.calls += count
            est.total_usd += cost
            est.per_model_usd[att.model.name] = est.per_model_usd.get(att.model.name, Decimal(0)) + cost
    return est
