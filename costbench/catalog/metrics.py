"""Text metrics behind the graders: pure functions of two strings, no grading policy."""

from __future__ import annotations

from collections import Counter


def chrf(hypothesis: str, reference: str, n: int = 6, beta: float = 2.0) -> float:
    """Character n-gram F-score (chrF, Popović 2015) in [0, 1], whitespace ignored; linear in the text length."""
    hyp, ref = "".join(hypothesis.split()), "".join(reference.split())
    precisions, recalls = [], []
    for k in range(1, n + 1):
        h = Counter(hyp[i:i + k] for i in range(len(hyp) - k + 1))
        r = Counter(ref[i:i + k] for i in range(len(ref) - k + 1))
        if not h or not r:
            continue
        common = sum((h & r).values())
        precisions.append(common / h.total())
        recalls.append(common / r.total())
    if not precisions:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    return 0.0 if p + r == 0 else (1 + beta**2) * p * r / (beta**2 * p + r)


def word_spans(words: list[str]) -> set[tuple[int, int]]:
    """The character spans ``(start, end)`` of consecutive words, for segmentation F1."""
    spans, start = set(), 0
    for w in words:
        spans.add((start, start + len(w)))
        start += len(w)
    return spans
