"""chrF grading time against the answer's length: the Counter version vs the old list.count one.

Prints seconds per grade and the growth factor when the answer is 5x longer (linear ≈ 5, quadratic ≈ 25).
Run: .venv/bin/python bench/grader_chrf.py   (about 20 s; the old version is timed on short answers only)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from costbench.catalog.metrics import chrf

WORDS = "the meeting moved to thursday because budget review needs more time and data from finance".split()


def _old(hypothesis: str, reference: str, n: int = 6, beta: float = 2.0) -> float:
    hyp, ref = "".join(hypothesis.split()), "".join(reference.split())
    precisions, recalls = [], []
    for k in range(1, n + 1):
        h = [hyp[i:i + k] for i in range(len(hyp) - k + 1)]
        r = [ref[i:i + k] for i in range(len(ref) - k + 1)]
        if not h or not r:
            continue
        common = sum(min(h.count(g), r.count(g)) for g in set(h))
        precisions.append(common / len(h))
        recalls.append(common / len(r))
    if not precisions:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    return 0.0 if p + r == 0 else (1 + beta**2) * p * r / (beta**2 * p + r)


def _text(chars: int, seed: int) -> str:
    rng, out = random.Random(seed), ""
    while len(out) < chars:
        out += rng.choice(WORDS) + " "
    return out[:chars]


def _time(fn: Callable[[str, str], float], chars: int, rounds: int = 3) -> float:
    hyp, ref = _text(chars, 1), _text(min(chars, 600), 2)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn(hyp, ref)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main() -> None:
    new_1k, new_5k, new_25k = _time(chrf, 1000), _time(chrf, 5000), _time(chrf, 25000)
    old_1k, old_5k = _time(_old, 1000, 1), _time(_old, 5000, 1)
    assert abs(chrf(_text(800, 3), _text(600, 4)) - _old(_text(800, 3), _text(600, 4))) < 1e-12
    print(f"chrF Counter: 1k chars {new_1k * 1000:.1f} ms, 5k {new_5k * 1000:.1f} ms, 25k {new_25k * 1000:.1f} ms; "
          f"growth x5 length: {new_5k / new_1k:.1f}, {new_25k / new_5k:.1f}")
    print(f"chrF old list.count: 1k chars {old_1k * 1000:.0f} ms, 5k {old_5k * 1000:.0f} ms; growth x5 length: "
          f"{old_5k / old_1k:.1f}; Counter is {old_5k / new_5k:.0f}x faster at 5k chars")


if __name__ == "__main__":
    main()
