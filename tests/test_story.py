"""The headline's choice of change and the routed copy's billing lag (report/story.py), on plain rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from costbench.report.story import headline, pick

D = datetime(2025, 9, 29, tzinfo=UTC)


def _change(provider: str, model: str, blended: str, lag: int | None) -> dict:
    # before $0.002 per solved task, after $0.001: -50.0 %, of which price -0.0008, cache -0.0001, behaviour -0.0001
    return {"provider": provider, "model": model, "effective_from": D, "calls_before": 10, "calls_after": 10,
            "cpst_before_usd": Decimal("0.002"), "cpst_after_usd": Decimal("0.001"),
            "measured_cpst_change_pct": Decimal("-50.0"), "advertised_blended_change_pct": Decimal(blended),
            "advertised_output_change_pct": Decimal("-75"), "advertised_input_change_pct": Decimal("-50"),
            "advertised_cache_read_change_pct": Decimal("-60"), "price_effect_usd": Decimal("-0.0008"),
            "cache_effect_usd": Decimal("-0.0001"), "usage_effect_usd": Decimal("-0.0001"), "billing_lag_days": lag}


def test_the_story_is_the_providers_own_and_the_routed_copy_adds_its_billing_lag() -> None:
    direct = _change("deepseek", "deepseek-chat", "-60", None)             # DeepSeek reports no cost: no lag
    routed = _change("openrouter", "deepseek/deepseek-chat", "-61", 2)     # a deeper cut, but a gateway's copy
    assert pick([routed, direct]) is direct
    sentence = headline([routed, direct], 7)["sentence"]
    assert sentence.startswith("DeepSeek announced −75.0\u00a0% on output (−50.0\u00a0% on input, −60.0\u00a0% on "
                               "cache reads) for deepseek-chat from 2025-09-29; measured over 7 days either side, "
                               "its cost per solved task fell 50.0\u00a0%: price −40.0\u00a0%, cache −5.0\u00a0%, "
                               "behaviour −5.0\u00a0%.")
    assert sentence.endswith(" Routed through OpenRouter, the new price reached the bill 2 days after the announcement.")


def test_no_lag_clause_without_a_measured_lag_and_a_lone_gateway_still_tells_the_story() -> None:
    direct = _change("deepseek", "deepseek-chat", "-60", None)
    unmeasured = _change("openrouter", "deepseek/deepseek-chat", "-61", None)
    assert "Routed" not in headline([direct, unmeasured], 7)["sentence"]
    same_day = _change("openrouter", "deepseek/deepseek-chat", "-61", 0)
    assert headline([direct, same_day], 7)["sentence"].endswith("reached the bill the same day.")
    assert pick([unmeasured]) is unmeasured                                 # only a gateway measured: it is the story
    other_model = _change("openrouter", "deepseek/deepseek-reasoner", "-61", 3)
    assert "Routed" not in headline([direct, other_model], 7)["sentence"]
