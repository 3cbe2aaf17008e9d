"""A deterministic, fast tokenizer: no downloads (tiktoken fetches its encodings at run time).

Base count: each CJK character is one token, each run of letters/digits is one token per 4
characters (at least one), each other symbol is one token. A persona scales it by its
``tokens_per_word`` so that different "tokenizers" give different counts for the same text.
"""

from __future__ import annotations

import re
from functools import lru_cache

_PIECES = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+|[^\w\s]|_")
MESSAGE_OVERHEAD = 4
"""Tokens each chat message adds for its role and separators (as real chat templates do)."""


@lru_cache(maxsize=65536)
def base_count(text: str) -> int:
    """Tokens of ``text`` before the persona's ratio."""
    total = 0
    for piece in _PIECES.findall(text):
        total += max(1, (len(piece) + 3) // 4) if piece[0].isalnum() and not "\u3400" <= piece[0] <= "\ufaff" else 1
    return total


def count(text: str, ratio: float) -> int:
    """Tokens of ``text`` for a persona with tokenizer ``ratio``."""
    return int(base_count(text) * ratio + 0.5) if text else 0
