"""Redaction of keys from text that may echo them."""

from __future__ import annotations

from costbench.secrets import REDACTED, known_keys, redact


def test_known_key_is_redacted_everywhere_in_text(monkeypatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "plain-secret-value-42")
    keys = known_keys(["DEEPSEEK_API_KEY", "MISSING_VAR"])
    assert keys == ["plain-secret-value-42"]
    text = 'Invalid key "plain-secret-value-42" (plain-secret-value-42)'
    assert redact(text, keys) == f'Invalid key "{REDACTED}" ({REDACTED})'


def test_key_shaped_strings_are_redacted_without_knowing_them() -> None:
    # Built at run time so that no key-shaped literal sits in the repository.
    anthropic, openai, google = "sk-ant-" + "api03-" + "abcdefghijklmnop", "sk-" + "proj-" + "ABCDEFGHIJKLMNOPQRST", \
        "AI" + "zaSyA1234567890abcdefghijk"
    text = f"got {anthropic} and {openai} and {google}"
    out = redact(text)
    assert out is not None
    assert "sk-ant" not in out and "sk-proj" not in out and "AIza" not in out
    assert out.count(REDACTED) == 3


def test_ordinary_text_and_none_are_unchanged() -> None:
    assert redact("the task-skipped case") == "the task-skipped case"
    assert redact(None) is None
