"""Chinese word segmentation with jieba (PyPI ``jieba``, pinned; its dictionary ships in the wheel: offline)."""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

_LOCK = threading.Lock()
_TOKENIZER: Any = None


def _tokenizer() -> Any:
    """One jieba tokenizer per process; its prefix dictionary is built once (about a second)."""
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            with warnings.catch_warnings():  # jieba 0.42.1 imports the deprecated pkg_resources
                warnings.simplefilter("ignore")
                import jieba

            jieba.setLogLevel(logging.WARNING)  # it logs "Building prefix dict…" at DEBUG otherwise
            _TOKENIZER = jieba.Tokenizer()
            _TOKENIZER.initialize()
        return _TOKENIZER


def jieba_words(text: str) -> str:
    """The words of ``text`` separated by single spaces (jieba's accurate mode with its HMM for unknown words)."""
    return " ".join(w for w in _tokenizer().cut(text.strip(), HMM=True) if w.strip())
