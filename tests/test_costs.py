"""The cost engine, table-driven with hand-computed values (Decimal, exact)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from costbench.prices.costs import cost, reconcile
from costbench.prices.fx import load_fx
from costbench.prices.book import load_pricebook
from costbench.usage import Usage

BOOK = load_pricebook()
FX = load_fx()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_deepseek_one_day_in_cny_is_exact() -> None:
    # 946,816 hit × 0.1 + 2,753,752 miss × 1 + 3,100,977 out × 2 CNY/Mtok (PROVIDER-BILLING.md §5 seed check)
    when = at("2024-09-01T12:00:00")
    entry = BOOK.price_for("deepseek", "deepseek-chat", when)
    c = cost(Usage(input_uncached_tokens=2_753_752, cache_read_tokens=946_816, output_tokens=3_100_977), entry, when, FX)
    assert c.currency == "CNY"
    assert c.breakdown["cache_read"] == Decimal("0.0946816")
    assert c.breakdown["input_uncached"] == Decimal("2.753752")
    assert c.breakdown["output"] == Decimal("6.201954")
    assert c.total == Decimal("9.0503876")
    assert c.fx_rate == Decimal("0.1395")  # fx.yml CNY rate since 2024-08-01
    assert c.total_usd == Decimal("9.0503876") * Decimal("0.1395")
    assert c.entry_id == "deepseek/deepseek-chat@2024-08-02"


def test_mistral_large_2411_console_figures() -> None:
    # 297,429 × $2 + 474,855 × $6 per Mtok = 0.594858 + 2.84913 = $3.443988. The console shows
    # $0.59 + $2.85 = $3.44: each line is rounded to cents for display; billing keeps full precision
    # (no per-request rounding is documented, PROVIDER-BILLING.md §9), so the difference is display only.
    when = at("2025-03-01T00:00:00")
    c = cost(Usage(input_uncached_tokens=297_429, output_tokens=474_855),
             BOOK.price_for("mistral", "mistral-large-2411", when), when, FX)
    assert (c.breakdown["input_uncached"], c.breakdown["output"]) == (Decimal("0.594858"), Decimal("2.84913"))
    assert c.total == c.total_usd == Decimal("3.443988")
    assert round(c.breakdown["input_uncached"], 2) + round(c.breakdown["output"], 2) == Decimal("3.44")


@pytest.mark.parametrize(
    ("when", "window", "expected_cny"),
    [
        ("2025-03-10T17:00:00", "off-peak", Decimal("1") + Decimal("4")),   # 16:30-00:30 UTC: half price
        ("2025-03-10T00:29:59", "off-peak", Decimal("5")),                  # window wraps past midnight
        ("2025-03-10T00:30:00", None, Decimal("2") + Decimal("8")),         # end is exclusive
        ("2025-09-10T17:00:00", None, Decimal("4") + Decimal("12")),        # V3.1: discount cancelled
        ("2025-09-29T00:00:00", None, Decimal("2") + Decimal("3")),         # V3.2-Exp cut, effective at once
    ],
)
def test_deepseek_time_of_day_and_history(when: str, window: str | None, expected_cny: Decimal) -> None:
    moment = at(when)
    entry = BOOK.price_for("deepseek", "deepseek-chat", moment)
    c = cost(Usage(input_uncached_tokens=1_000_000, output_tokens=1_000_000), entry, moment, FX)
    assert (c.window, c.total) == (window, expected_cny)


@pytest.mark.parametrize(
    ("uncached", "read", "write_5m", "tier", "expected"),
    [
        # Anthropic: the tier is decided by ALL input incl. cache, strictly above 200K, and bills the whole request.
        (199_000, 1_000, 0, None, Decimal("199000") * 3 / 10**6 + Decimal("1000") * Decimal("0.30") / 10**6),
        (199_000, 1_000, 1, ">200000", Decimal("199000") * 6 / 10**6 + Decimal("1000") * Decimal("0.60") / 10**6
         + Decimal("7.50") / 10**6),
    ],
)
def test_anthropic_long_context_tier_is_a_cliff(uncached: int, read: int, write_5m: int, tier: str | None,
                                               expected: Decimal) -> None:
    when = at("2025-10-01T00:00:00")
    usage = Usage(input_uncached_tokens=uncached, cache_read_tokens=read, cache_write_5m_tokens=write_5m)
    c = cost(usage, BOOK.price_for("anthropic", "claude-sonnet-4", when), when, FX)
    assert (c.tier, c.total) == (tier, expected)


def test_xai_tier_starts_at_the_threshold() -> None:
    when = at("2025-10-01T00:00:00")
    entry = BOOK.price_for("xai", "grok-4", when)
    below = cost(Usage(input_uncached_tokens=127_999), entry, when, FX)
    at_threshold = cost(Usage(input_uncached_tokens=128_000), entry, when, FX)
    assert below.tier is None and at_threshold.tier == "≥128000"
    assert at_threshold.total == Decimal("128000") * 6 / 10**6


def test_cache_writes_by_ttl_and_batch_multiplier() -> None:
    when = at("2025-10-01T00:00:00")
    usage = Usage(cache_write_5m_tokens=100_000, cache_write_1h_tokens=100_000, output_tokens=1_000)
    c = cost(usage, BOOK.price_for("anthropic", "claude-sonnet-4", when), when, FX)
    assert (c.breakdown["cache_write_5m"], c.breakdown["cache_write_1h"]) == (Decimal("0.375"), Decimal("0.6"))
    assert c.tier is None  # 200,000 total input is not ABOVE 200K
    gpt = cost(Usage(input_uncached_tokens=2_000_000), BOOK.price_for("openai", "gpt-5-mini", when), when, FX, batch=True)
    assert gpt.total == Decimal("0.25")  # 2 Mtok × $0.25 × 0.5


def test_reconciliation_flags_differences_above_tolerance() -> None:
    when = at("2025-10-01T00:00:00")
    c = cost(Usage(input_uncached_tokens=3, cache_write_5m_tokens=3211, output_tokens=100),
             BOOK.price_for("openrouter", "anthropic/claude-sonnet-4", when), when, FX)
    # The OpenRouter Sonnet recording of PROVIDER-BILLING.md §7: usage.cost 0.01355025.
    assert c.total_usd == Decimal("0.01355025")
    same = reconcile(c, Decimal("0.01355025"), Decimal("0.000001"))
    plugin = reconcile(c, Decimal("0.02355025"), Decimal("0.000001"))
    assert same is not None and not same.flagged and same.delta_usd == 0
    assert plugin is not None and plugin.flagged and plugin.delta_usd == Decimal("0.01")
    assert reconcile(c, None, Decimal("0.000001")) is None


def test_entry_lookups_cross_a_price_change_in_any_order() -> None:
    """The pricer remembers the entry in force with its span; a call across the 2025-09-29 change, back, and a
    naive (UTC) time all get the entry the price book says."""
    from costbench.prices.pricing import Pricer

    pricer = Pricer.load()
    old, new = "deepseek/deepseek-chat@2025-09-05T16:00", "deepseek/deepseek-chat@2025-09-29"
    for at, want in ((datetime(2025, 9, 28, 23, 59, 59, tzinfo=UTC), old), (datetime(2025, 9, 29, tzinfo=UTC), new),
                     (datetime(2025, 9, 5, 16, 0, tzinfo=UTC), old), (datetime(2025, 9, 30), new),
                     (datetime(2026, 7, 24, 15, 59, tzinfo=UTC), "deepseek/deepseek-chat@2026-07-24T15:59")):
        assert pricer.entry("deepseek", "deepseek-chat", at).entry_id == want
