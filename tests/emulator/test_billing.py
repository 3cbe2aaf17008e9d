"""The emulator bills on its own: its own price table, rounding and lag; never costbench's pricing code."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from decimal import Decimal

import httpx2
import pytest

from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.emulator.ledger import Biller, BillingTable, load_billing
from costbench.prices.book import PriceEntry, load_pricebook
from costbench.prices.costs import cost, reconcile
from costbench.prices.fx import load_fx
from costbench.providers import get_adapter
from tests.conftest import ROOT

D = Decimal
LONG = " ".join(f"Clause {i}: the supplier shall deliver goods within ten working days of the order." for i in range(120))
AT = "2025-10-02T12:00:00Z"


@pytest.fixture(scope="module")
def emu():
    with EmulatorServer(EmulatorConfig(seed=3, catalog_dir=ROOT / "tasks_catalog", rate_limits={})) as server:
        yield server


def _post(emu, path: str, body: dict, at: str = AT) -> dict:
    headers = {"Authorization": "Bearer k-bill", "X-Emulator-Clock": at}
    return httpx2.post(f"{emu.url}{path}", json=body, headers=headers, timeout=30).json()


def test_the_emulator_never_imports_costbench_pricing_or_usage() -> None:
    banned = ("costbench.prices", "costbench.usage", "costbench.run", "costbench.providers")
    for path in (ROOT / "costbench/emulator").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.startswith(banned)], f"{path.name} imports {names}"


def test_biller_windows_rounding_and_lag_by_hand() -> None:
    biller = Biller(load_billing())
    tokens = {"input": 1_000_000, "cache_read": 1_000_000, "cache_write_5m": 0, "cache_write_1h": 0, "output": 1_000_000}
    # DeepSeek 2025-03-01 17:00 UTC is off-peak: 1 + 0.25 + 4 CNY; 08:00 is standard: 2 + 0.5 + 8 CNY
    assert biller.bill("deepseek", "deepseek-chat", datetime(2025, 3, 1, 17, tzinfo=UTC), tokens).amount == D("5.25")
    peak = biller.bill("deepseek", "deepseek-chat", datetime(2025, 3, 1, 8, tzinfo=UTC), tokens)
    assert (peak.amount, peak.currency) == (D("10.5"), "CNY")
    # xAI: 7 × 3 + 1 × 0.75 + 1 × 15 USD/Mtok = 0.00003675, kept in whole ticks (1e-10 USD)
    small = {"input": 7, "cache_read": 1, "cache_write_5m": 0, "cache_write_1h": 0, "output": 1}
    ticks = biller.bill("xai", "grok-4", datetime(2025, 8, 1, tzinfo=UTC), small).amount
    assert ticks == D("0.00003675") and ticks.as_tuple().exponent == -10
    # a provider rounding to cents rounds each call half-even: 1 output token at $15/Mtok = $0.000015 → $0.00
    cents = BillingTable.model_validate({"providers": {"p": {"currency": "USD", "quantum": D("0.01")}},
                                         "models": {"m": [{"from": datetime(2025, 1, 1, tzinfo=UTC),
                                                           "per_mtok": {"input": 3, "output": 15000}}]}})
    one = {"input": 0, "cache_read": 0, "cache_write_5m": 0, "cache_write_1h": 0, "output": 1}
    assert Biller(cents).bill("p", "m", datetime(2025, 2, 1, tzinfo=UTC), one).amount == D("0.02")  # 0.015 → 0.02
    # 2025-09-29 cut: billed at once with no lag, two days late with a 48 h lag
    at = datetime(2025, 9, 30, tzinfo=UTC)
    assert biller.bill("deepseek", "deepseek-chat", at, tokens).amount == D("5.2")              # 2 + 0.2 + 3
    late = biller.bill("deepseek", "deepseek-chat", at, tokens, lag_hours=48)
    assert (late.amount, late.price_from) == (D("16.5"), "2025-09-05T16:00:00+00:00")           # 4 + 0.5 + 12
    assert biller.bill("deepseek", "no-such-model", at, tokens) is None


def _grok_calls(emu, n: int) -> list:
    adapter = get_adapter("xai")
    bodies = [_post(emu, "/xai/v1/chat/completions", {"model": "grok-4", "max_tokens": 400, "messages": [
        {"role": "system", "content": LONG}, {"role": "user", "content": f"Summarise clause {i}."}]}) for i in range(n)]
    return [adapter.parse(b) for b in bodies]


def test_xai_ticks_are_the_emulators_invoice(emu) -> None:
    calls = _grok_calls(emu, 2)
    mine = [e for e in emu.ledger.entries() if e.provider == "xai" and e.billed][-2:]
    for completion, line in zip(calls, mine, strict=True):
        u = completion.usage
        # billing.yml grok-4: $3 input, $0.75 cache read, $15 output per Mtok (reasoning billed as output)
        by_hand = (u.input_uncached_tokens * D(3) + u.cache_read_tokens * D("0.75") + u.output_tokens * D(15)) / 10**6
        assert completion.usage.provider_reported_cost == by_hand == D(line.billed_amount)
    assert calls[1].usage.cache_read_tokens > 1000  # the second call read the long prefix from the cache


def test_reconciliation_catches_a_wrong_price_book_entry(emu) -> None:
    calls = _grok_calls(emu, 3)
    at, fx = datetime.fromisoformat(AT), load_fx()
    right = load_pricebook().price_for("xai", "grok-4", at)
    wrong = PriceEntry.model_validate({**right.model_dump(), "rates": {**right.rates.model_dump(), "output": D(16)}})
    tolerance = D("0.000001")
    good = [reconcile(cost(c.usage, right, at, fx), c.usage.provider_reported_cost, tolerance) for c in calls]
    bad = [reconcile(cost(c.usage, wrong, at, fx), c.usage.provider_reported_cost, tolerance) for c in calls]
    assert [r.flagged for r in good] == [False] * 3
    assert [r.flagged for r in bad] == [True] * 3
    # the wrong entry over-charges $1 per Mtok of output: reported - computed = -output/1e6 exactly
    assert [r.delta_usd for r in bad] == [-D(c.usage.output_tokens) / 10**6 for c in calls]


def test_openrouter_cache_control_reaches_the_cache(emu) -> None:
    adapter = get_adapter("openrouter")
    msgs = [{"role": "system", "content": LONG}, {"role": "user", "content": "Summarise clause 1."}]
    req = adapter.build_request("anthropic/claude-sonnet-4", msgs, 200, cache_breakpoints=[0])
    first = adapter.parse(_post(emu, "/openrouter/api/v1/chat/completions", req.json)).usage
    second = adapter.parse(_post(emu, "/openrouter/api/v1/chat/completions", req.json)).usage
    assert first.cache_write_5m_tokens > 1024 and second.cache_read_tokens == first.cache_write_5m_tokens
    # usage.cost: billing.yml at 3 / 3.75 / 0.30 / 15 USD per Mtok, computed here by hand
    by_hand = (second.input_uncached_tokens * D(3) + second.cache_read_tokens * D("0.30")
               + second.cache_write_5m_tokens * D("3.75") + second.output_tokens * D(15)) / 10**6
    assert second.provider_reported_cost == by_hand


def test_configured_lag_delays_the_new_price_on_the_invoice(emu) -> None:
    body = {"model": "deepseek-chat", "max_tokens": 50, "messages": [{"role": "user", "content": "Say hi."}]}
    at = "2025-09-30T12:00:00Z"   # a day after the 2025-09-29 cut
    try:
        emu.configure(billing_lag_hours=48)
        _post(emu, "/deepseek/chat/completions", body, at=at)
        late = [e for e in emu.ledger.entries() if e.provider == "deepseek" and e.billed][-1]
    finally:
        emu.configure(billing_lag_hours=0)
    _post(emu, "/deepseek/chat/completions", body, at=at)
    on_time = [e for e in emu.ledger.entries() if e.provider == "deepseek" and e.billed][-1]
    assert (late.billed_price_from, late.billed_currency) == ("2025-09-05T16:00:00+00:00", "CNY")
    assert on_time.billed_price_from == "2025-09-29T00:00:00+00:00"
    # the same tokens cost 4 / 0.5 / 12 CNY per Mtok late and 2 / 0.2 / 3 on time
    u = on_time.usage
    miss, hit, out = u["prompt_cache_miss_tokens"], u["prompt_cache_hit_tokens"], u["completion_tokens"]
    assert D(on_time.billed_amount) == (miss * D(2) + hit * D("0.2") + out * D(3)) / 10**6


@pytest.mark.parametrize(("at", "rates"), [
    ("2025-09-30T23:00:00Z", ("0.56", "0.07", "1.68")),   # 47 h after the cut: OpenRouter still bills V3.1's price
    ("2025-10-01T01:00:00Z", ("0.28", "0.028", "0.42")),  # 49 h after: the new price has reached the bill
])
def test_the_routed_deepseek_copy_bills_the_cut_two_days_late(emu, at: str, rates: tuple[str, str, str]) -> None:
    adapter = get_adapter("openrouter")
    req = adapter.build_request("deepseek/deepseek-chat", [{"role": "user", "content": "Say hi."}], 50)
    usage = adapter.parse(_post(emu, "/openrouter/api/v1/chat/completions", req.json, at=at)).usage
    miss, hit, out = (D(r) for r in rates)
    by_hand = (usage.input_uncached_tokens * miss + usage.cache_read_tokens * hit + usage.output_tokens * out) / 10**6
    assert usage.output_tokens > 0 and usage.provider_reported_cost == by_hand
