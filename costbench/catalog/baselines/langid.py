"""A rule-based language identifier: script first (CJK, kana, hangul), then function words and diacritics."""

from __future__ import annotations

import re

_STOPWORDS: dict[str, set[str]] = {
    "en": {"the", "and", "is", "was", "of", "to", "on", "in", "at", "for", "has", "have", "it", "be"},
    "fr": {"le", "la", "les", "est", "de", "du", "des", "et", "une", "un", "en", "au", "à", "cause", "neige"},
    "de": {"der", "die", "das", "und", "ist", "wurde", "am", "bereits", "hat", "zu", "den", "mit", "nicht"},
    "es": {"el", "la", "los", "las", "de", "y", "es", "del", "abre", "una", "por", "mañana"},
    "pt": {"o", "os", "foi", "do", "da", "em", "não", "ontem", "à", "uma", "um", "noite"},
    "it": {"il", "lo", "gli", "per", "alle", "di", "che", "è", "parte", "della", "una"},
    "nl": {"de", "het", "een", "is", "naar", "van", "en", "op", "verplaatst", "niet"},
    "pl": {"się", "na", "w", "jest", "został", "została", "zostało", "i", "do", "z", "że"},
}
_LETTERS: dict[str, str] = {"pt": "ãõç", "es": "ñ¿¡", "de": "ßäöü", "pl": "łąęśżźćń", "fr": "èêëçœ", "it": "ìò"}


def identify(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language (one of zh, ja, ko, en, fr, de, es, pt, it, nl, pl)."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7af]", text):
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh"
    words = re.findall(r"\w+", text.casefold())
    scores = {lang: sum(w in stop for w in words) + 2 * sum(ch in _LETTERS.get(lang, "") for ch in text.casefold())
              for lang, stop in _STOPWORDS.items()}
    return max(scores, key=lambda lang: scores[lang])  # ties: the first language listed
