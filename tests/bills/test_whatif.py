"""``whatif``: same tokens at the target's dated prices, measured token ratios, and totals-only estimates.

deepseek/deepseek-chat on 2025-06-20 10:00 UTC (outside the 16:30-00:30 off-peak window): CNY 2 in, 0.5 read,
8 out per Mtok, no cache-write price (writes go at the input price); CNY→USD 0.1370 (from 2025-01-01).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from costbench.bills.importer import import_path
from costbench.bills.whatif import whatif
from costbench.errors import UnknownModel

from tests.bills.calls_fixture import add_call, add_run
from tests.bills.helpers import EXPORTS, db, pricer


def _claude_code_db():
    con = db()
    import_path(con, EXPORTS / "claude_code", pricer=pricer())
    return con


def test_same_tokens_on_a_model_without_cache_writes_and_no_ratio_said() -> None:
    report = whatif(_claude_code_db(), ["deepseek/deepseek-chat"], pricer())
    (m,) = report["models"]
    # row 1: 10×2 + 20000×0.5 + (1000 + 2000)×2 + 500×8 = 20,020; row 2: 100×2 + 250000×0.5 + 1000×8 = 133,200
    # (153,220 / 1e6 CNY) × 0.1370
    assert m["cost_usd_same_tokens"] == D("0.02099114")
    assert m["cost_usd"] == m["cost_usd_same_tokens"] and m["token_ratio"] is None
    assert any("no token ratio measured" in a for a in m["assumptions"])
    assert set(m) == {"model", "cost_usd_same_tokens", "cost_usd", "rows", "token_ratio", "assumptions"}
    assert report["actual"]["repriced_usd"] == D("0.20238")   # 0.02928 + 0.1731 at Claude's own prices


def test_cost_usd_scales_tokens_by_the_measured_ratio() -> None:
    con = _claude_code_db()
    add_run(con)
    for task, (c_in, c_out, d_in, d_out) in {"t1": (1000, 100, 1200, 150), "t2": (1000, 100, 800, 250)}.items():
        add_call(con, f"{task}-c", "anthropic", "claude-sonnet-4", task, "refactor", "case1", c_in, c_out)
        add_call(con, f"{task}-d", "deepseek", "deepseek-chat", task, "refactor", "case1", d_in, d_out)
    (m,) = whatif(con, ["deepseek/deepseek-chat"], pricer())["models"]
    assert m["token_ratio"] == {"anthropic/claude-sonnet-4": {"input": D("1"), "output": D("2"), "pairs": 2}}
    # input 2000 → 2000 (×1), output 200 → 400 (×2): outputs double: 20,020 + 4,000 and 133,200 + 8,000
    assert m["cost_usd"] == D("0.02263514")                  # 165,220 / 1e6 CNY × 0.1370
    assert m["cost_usd_same_tokens"] == D("0.02099114")


def test_per_request_tier_applies_per_request_on_the_target() -> None:
    (m,) = whatif(_claude_code_db(), ["anthropic/claude-sonnet-4"], pricer())["models"]
    assert m["cost_usd_same_tokens"] == D("0.20238")          # 0.02928 (base) + 0.1731 (>200K tier)
    assert any("1 requests priced at a long-context tier" in a for a in m["assumptions"])


def test_mistral_totals_only_estimate_interval_and_implied_split() -> None:
    con = db()
    import_path(con, EXPORTS / "mistral_totals.csv", mapping_path=EXPORTS / "mistral_map.yml", pricer=pricer())
    add_run(con)
    add_call(con, "g1", "mistral", "mistral-small-2409", "g1", "grammar", "c", 900, 100)   # output share 0.1
    add_call(con, "g2", "mistral", "mistral-small-2409", "g2", "grammar", "c", 600, 400)   # output share 0.4
    add_call(con, "m1", "mistral", "mistral-small-2409", "m1", "math", "c", 10, 990)       # not named: ignored
    report = whatif(con, ["mistral/mistral-small-2409", "anthropic/claude-sonnet-4"], pricer(), categories=["grammar"])
    (row,) = report["actual"]["totals_only"]
    # $0.43 = in×0.2/M + out×0.6/M with in + out = 1,022,407 → out = (0.43 − 0.2044814) / 0.4e-6 = 563,796.5
    assert row["implied_split"]["output_tokens"] == 563796 and row["implied_split"]["input_tokens"] == 458611
    assert row["implied_split"]["explained"] is True
    mistral, claude = report["models"]
    # pooled share 500/2000 = 0.25: 1,022,407 × (0.75×0.2 + 0.25×0.6) / 1e6; interval at shares 0.1 and 0.4
    assert mistral["cost_usd_same_tokens"] == D("0.3067221")
    assert any("$0.245378–$0.368067" in a for a in mistral["assumptions"])
    assert row["estimate"]["low_usd"] == D("0.24537768") and row["estimate"]["high_usd"] == D("0.36806652")
    # Claude Sonnet 4: 0.75×3 + 0.25×15 = 6.0 per M → 6.134442; interval 4.2 and 7.8 per M
    assert claude["cost_usd_same_tokens"] == D("6.134442") and claude["rows"] == 1
    assert any("$4.294109–$7.974775" in a for a in claude["assumptions"])


def test_unknown_target_model_suggests_a_near_match() -> None:
    with pytest.raises(UnknownModel, match="Did you mean: anthropic/claude-sonnet-4"):
        whatif(_claude_code_db(), ["anthropic/claude-sonet-4"], pricer())


def test_source_filter_keeps_only_that_export() -> None:
    con = _claude_code_db()
    import_path(con, EXPORTS / "openrouter.csv", pricer=pricer())
    everything = whatif(con, ["deepseek/deepseek-chat"], pricer())
    only = whatif(con, ["deepseek/deepseek-chat"], pricer(), source="openrouter-csv")
    assert (everything["actual"]["rows"], only["actual"]["rows"]) == (5, 3)
    # the three OpenRouter requests on deepseek-chat in June 2025: 12,580 / 1e6 CNY × 0.1370
    assert only["models"][0]["cost_usd_same_tokens"] == D("0.00172346")
    assert everything["models"][0]["cost_usd_same_tokens"] == D("0.02099114") + D("0.00172346")
