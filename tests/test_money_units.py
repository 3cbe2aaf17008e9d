"""Fast money tests (no emulator, no network), the selection `make mutate` runs against each mutant.

Pricing through DuckDB with a tiny hand-written price book (so the figures below never depend on the
packaged prices): every expected amount is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from costbench.errors import PriceBookError
from costbench.prices import costs, pricing
from costbench.prices.book import load_pricebook
from costbench.prices.fx import load_fx
from costbench.prices.pricing import Pricer
from costbench.store import loader
from costbench.store.db import connect, migrate, rows
from costbench.usage import Usage

D = Decimal
BOOK = """provider: acme
models:
  m1:
    - effective_from: 2025-01-01T00:00:00Z
      currency: EUR
      rates: {input_uncached: 2, cache_read: 0.2, cache_write_5m: 2.5, cache_write_1h: 4, output: 10}
      tiers:
        - above_input_tokens: 1000
          rates: {input_uncached: 3, cache_read: 0.3, cache_write_5m: 3.75, cache_write_1h: 6, output: 15}
      windows:
        - name: night
          start_utc: "22:00:00"
          end_utc: "02:00:00"
          rates: {input_uncached: 1, output: 5}
      request_fee: 0.001
      batch_multiplier: 0.5
      source: test
      checked_on: 2025-01-01
      confidence: unverified
      evidence: a synthetic price book written for this test
    - effective_from: 2025-06-01T12:00:00Z
      currency: USD
      rates: {input_uncached: 1, output: 4}
      source: test
      checked_on: 2025-06-01
      confidence: unverified
      evidence: a synthetic price book written for this test
"""
FX = """rates:
  - {currency: EUR, since: 2025-03-01, usd: 1.20, source: t}
  - {currency: EUR, since: 2025-01-01, usd: 1.10, source: t}
"""


@pytest.fixture
def pricer(tmp_path: Path) -> Pricer:
    (tmp_path / "acme.yml").write_text(BOOK)
    (tmp_path / "fx.yml").write_text(FX)
    return Pricer(load_pricebook(tmp_path), load_fx(tmp_path / "fx.yml"))


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- usage ---------------------------------------------------------------------------------------------

def test_usage_sum_total_input_and_round_trip() -> None:
    a = Usage(1, 2, 3, 4, 5, 1, provider_reported_cost=D("0.10"))
    b = Usage(10, 20, 30, 40, 50, 10, provider_reported_cost=D("0.01"))
    assert a + b == Usage(11, 22, 33, 44, 55, 11, provider_reported_cost=D("0.11"))
    assert (a + Usage(1)).provider_reported_cost is None  # unknown + known stays unknown
    assert (Usage(1) + a).provider_reported_cost is None
    assert a.__add__(3) is NotImplemented
    assert a.total_input_tokens == 1 + 2 + 3 + 4
    data = a.to_dict()
    assert data == {"input_uncached_tokens": 1, "cache_read_tokens": 2, "cache_write_5m_tokens": 3,
                    "cache_write_1h_tokens": 4, "output_tokens": 5, "reasoning_tokens": 1,
                    "provider_reported_cost": "0.10"}
    assert Usage.from_dict(json.loads(json.dumps(data))) == a
    assert Usage.from_dict({"output_tokens": 2, "provider_reported_cost": 0.5}).provider_reported_cost == D("0.5")
    assert Usage.from_dict({"output_tokens": 2}) == Usage(output_tokens=2)
    assert Usage(2).to_dict()["provider_reported_cost"] is None
    with pytest.raises(ValueError, match="unknown usage field.*: bogus, other$"):
        Usage.from_dict({"other": 1, "bogus": 2, "output_tokens": 1})


# --- the cost engine on the test book --------------------------------------------------------------------

def test_base_rates_fee_and_fx(pricer) -> None:
    usage = Usage(input_uncached_tokens=100, cache_read_tokens=200, cache_write_5m_tokens=300,
                  cache_write_1h_tokens=400, output_tokens=50)
    c = pricer.cost("acme", "m1", t("2025-02-10T12:00:00"), usage)
    # 100 × 2 + 200 × 0.2 + 300 × 2.5 + 400 × 4 + 50 × 10 = 200 + 40 + 750 + 1,600 + 500 = 3,090 µEUR + 0.001 fee
    assert c.breakdown == {"input_uncached": D("0.0002"), "cache_read": D("0.00004"), "cache_write_5m": D("0.00075"),
                           "cache_write_1h": D("0.0016"), "output": D("0.0005"), "request_fee": D("0.001")}
    assert (c.total, c.currency, c.fx_rate) == (D("0.00409"), "EUR", D("1.10"))
    assert c.total_usd == D("0.004499") and (c.tier, c.window) == (None, None)  # 0.00409 × 1.10
    assert c.entry_id == "acme/m1@2025-01-01"
    assert pricer.cost_usd("acme", "m1", t("2025-03-01T12:00:00"), usage) == D("0.004908")  # × 1.20 from March


def test_tier_is_a_cliff_above_not_at_the_threshold(pricer) -> None:
    at = t("2025-02-10T12:00:00")
    at_limit = Usage(input_uncached_tokens=600, cache_read_tokens=300, cache_write_1h_tokens=100, output_tokens=10)
    over = Usage(input_uncached_tokens=601, cache_read_tokens=300, cache_write_1h_tokens=100, output_tokens=10)
    # exactly 1,000 input: base rates, 600 × 2 + 300 × 0.2 + 100 × 4 + 10 × 10 = 1,760 µEUR + 0.001 fee
    assert pricer.cost("acme", "m1", at, at_limit).total == D("0.00276")
    # 1,001 input: every token at the tier, 601 × 3 + 300 × 0.3 + 100 × 6 + 10 × 15 = 2,643 µEUR + 0.001
    c = pricer.cost("acme", "m1", at, over)
    assert (c.total, c.tier) == (D("0.003643"), ">1000")


def test_time_window_wraps_midnight_and_defaults_cache_rates_to_input(pricer) -> None:
    usage = Usage(input_uncached_tokens=1000, cache_read_tokens=1000, output_tokens=100)
    for when in ("2025-02-10T22:00:00", "2025-02-10T23:59:59", "2025-02-11T00:00:00", "2025-02-11T01:59:59"):
        c = pricer.cost("acme", "m1", t(when), usage)
        # window rates; cache_read not given in the window → the window's input rate: 1,000 + 1,000 + 500 µEUR
        assert (c.window, c.total) == ("night", D("0.0035")), when
    for when in ("2025-02-11T02:00:00", "2025-02-10T21:59:59"):
        c = pricer.cost("acme", "m1", t(when), usage)
        # outside the window 2,000 input tokens > 1,000: the tier, 1,000 × 3 + 1,000 × 0.3 + 100 × 15 = 4,800 µEUR
        # + 0.001 fee (the window's rates, above, have no tier)
        assert (c.window, c.tier, c.total) == (None, ">1000", D("0.0058")), when


def test_batch_halves_every_line_fee_included(pricer) -> None:
    entry = pricer.book.price_for("acme", "m1", t("2025-02-10T12:00:00"))
    c = costs.cost(Usage(input_uncached_tokens=100, output_tokens=10), entry, t("2025-02-10T12:00:00"), pricer.fx,
                   batch=True)
    # (100 × 2 + 10 × 10) µEUR + 0.001 = 0.0013 EUR, × 0.5 = 0.00065
    assert c.total == D("0.00065") and c.breakdown["request_fee"] == D("0.0005")


def test_price_change_at_its_exact_time_and_naive_times_are_utc(pricer) -> None:
    book = pricer.book
    assert book.price_for("acme", "m1", t("2025-06-01T11:59:59")).currency == "EUR"
    assert book.price_for("acme", "m1", t("2025-06-01T12:00:00")).entry_id == "acme/m1@2025-06-01T12:00"
    assert book.price_for("acme", "m1", datetime(2025, 6, 1, 12, 0)).currency == "USD"  # naive = UTC
    (change,) = book.changes()
    assert (change.previous.currency, change.current.currency) == ("EUR", "USD")
    with pytest.raises(Exception, match=r"first entry starts 2025-01-01T00:00:00\+00:00"):
        book.price_for("acme", "m1", t("2024-12-31T23:59:59"))


def test_reconcile_flags_only_above_the_tolerance(pricer) -> None:
    c = pricer.cost("acme", "m1", t("2025-07-01T12:00:00"), Usage(input_uncached_tokens=1000))  # 0.001 USD
    assert costs.reconcile(c, None, D("0.0001")) is None
    same = costs.reconcile(c, D("0.0011"), D("0.0001"))
    assert (same.delta_usd, same.flagged, same.computed_usd, same.reported_usd) == (D("0.0001"), False, D("0.001"),
                                                                                    D("0.0011"))
    below = costs.reconcile(c, D("0.00089"), D("0.0001"))
    assert (below.delta_usd, below.flagged) == (D("-0.00011"), True)


# --- worst case (the budget's reservations) --------------------------------------------------------------

def test_worst_case_takes_the_dearest_rates_of_tiers_and_windows(pricer) -> None:
    at = t("2025-02-10T12:00:00")
    # dearest input: tier 1 h write 6 EUR; dearest output: tier 15 EUR; fee 0.001 EUR; × 1.10 USD/EUR:
    # 1,000 × 6 + 100 × 15 = 7,500 µEUR + 0.001 = 0.0085 EUR × 1.10 = 0.00935 USD
    assert pricer.worst_case_usd("acme", "m1", at, 1000, 100) == D("0.00935")
    assert pricer.worst_case_usd("acme", "m1", at, 0, 0) == D("0.0011")  # the fee alone
    # the USD entry: 1,000 × 1 + 100 × 4 = 1,400 µUSD
    assert pricer.worst_case_usd("acme", "m1", t("2025-07-01T00:00:00"), 1000, 100) == D("0.0014")
    assert pricer.worst_case_usd("acme", "m1", t("2025-03-02T00:00:00"), 1000, 100) == D("0.0102")  # × 1.20


# --- price_run: DuckDB rows ------------------------------------------------------------------------------

def _store(calls: list[tuple]) -> object:
    con = connect(":memory:")
    migrate(con)
    con.execute("INSERT INTO runs VALUES ('r1', ?, ?, NULL, 'ok', NULL, 'cfg', 'cat', NULL, true, 5)",
                [t("2025-02-10T02:00:00"), t("2025-02-10T02:00:00")])
    con.execute("INSERT INTO runs VALUES ('r0', ?, ?, NULL, 'ok', NULL, 'cfg', 'cat', NULL, true, 5)",
                [t("2025-01-10T02:00:00"), t("2025-01-10T02:00:00")])
    for call_id, run_id, at, status, uncached, read, out, reported in calls:
        # the last two NULLs: calls.charged_usd and calls.cost_estimate (migration 0007)
        con.execute(
            """INSERT INTO calls VALUES (?, ?, 'main', 'acme', 'm1', 'x', 't', 1, 'math', ?, 0, 0, true, ?, 1, 1, ?,
               200, NULL, 'a', ?, ?, 0, 0, ?, 0, ?, NULL, NULL, NULL, true, ?, NULL, NULL)""",
            [call_id, run_id, call_id, at, status, uncached, read, out, reported, at])
    return con


def test_price_run_writes_exact_cost_rows_and_only_for_ok_calls(pricer) -> None:
    con = _store([("c1", "r1", t("2025-02-10T12:00:00"), "ok", 100, 200, 50, None),
                  ("c2", "r1", t("2025-02-10T23:00:00"), "ok", 1000, 0, 100, D("0.0036")),
                  ("c3", "r1", t("2025-02-10T12:00:00"), "error", None, None, None, None),
                  ("c0", "r0", t("2025-01-10T12:00:00"), "ok", 10, 0, 0, None)])
    assert pricing.price_run(con, "r1", pricer) == 2
    got = {r["call_id"]: r for r in rows(con, "SELECT * FROM costs ORDER BY call_id")}
    assert set(got) == {"c1", "c2"}
    c1, c2 = got["c1"], got["c2"]
    # c1 base: 100 × 2 + 200 × 0.2 + 50 × 10 = 200 + 40 + 500 = 740 µEUR + 0.001 = 0.00174 EUR × 1.10 = 0.001914
    assert [c1[k] for k in ("input_uncached_cost", "cache_read_cost", "cache_write_5m_cost", "cache_write_1h_cost",
                            "output_cost", "request_fee", "total", "fx_rate_to_usd", "total_usd")] == [
        D("0.0002"), D("0.00004"), D(0), D(0), D("0.0005"), D("0.001"), D("0.00174"), D("1.1"), D("0.001914")]
    assert (c1["entry_id"], c1["currency"], c1["tier"], c1["time_window"], c1["run_id"]) == (
        "acme/m1@2025-01-01", "EUR", None, None, "r1")
    assert (c1["reconciliation_delta_usd"], c1["reconciliation_flag"]) == (None, False)
    # c2 at 23:00, the night window: 1,000 × 1 + 100 × 5 = 1,500 µEUR + 0.001 = 0.0025 EUR × 1.10 = 0.00275 USD;
    # the provider said 0.0036: delta 0.00085 > 0.000001 → flagged
    assert (c2["total_usd"], c2["time_window"], c2["reconciliation_delta_usd"], c2["reconciliation_flag"]) == (
        D("0.00275"), "night", D("0.00085"), True)
    assert c1["pricebook_version"] == pricer.version and c1["priced_at"] is not None
    assert rows(con, "SELECT pricebook_version FROM runs WHERE run_id = 'r1'") == [{"pricebook_version": pricer.version}]
    (day,) = rows(con, "SELECT calls, spend_usd, input_uncached_tokens, output_tokens FROM daily_usage "
                       "WHERE run_id = 'r1' AND entry_id IS NOT NULL")
    assert day == {"calls": 2, "spend_usd": D("0.004664"), "input_uncached_tokens": 1100, "output_tokens": 150}


def test_price_entries_synced_once_and_repricing_replaces(pricer) -> None:
    con = _store([("c1", "r1", t("2025-02-10T12:00:00"), "ok", 100, 0, 0, None),
                  ("c0", "r0", t("2025-01-10T12:00:00"), "ok", 10, 0, 0, None)])
    pricing.price_run(con, "r1", pricer)
    pricing.price_run(con, "r1", pricer)  # again: same rows, not twice
    assert rows(con, "SELECT count(*) AS n FROM costs") == [{"n": 1}]
    entries = rows(con, "SELECT entry_id, previous_entry_id, currency, fx_rate_to_usd, input_uncached_per_mtok, "
                        "cache_read_per_mtok, cache_write_5m_per_mtok, cache_write_1h_per_mtok, output_per_mtok, "
                        "request_fee, has_tiers, has_time_windows, source FROM price_entries ORDER BY effective_from")
    assert entries == [
        {"entry_id": "acme/m1@2025-01-01", "previous_entry_id": None, "currency": "EUR", "fx_rate_to_usd": D("1.1"),
         "input_uncached_per_mtok": D(2), "cache_read_per_mtok": D("0.2"), "cache_write_5m_per_mtok": D("2.5"),
         "cache_write_1h_per_mtok": D(4), "output_per_mtok": D(10), "request_fee": D("0.001"), "has_tiers": True,
         "has_time_windows": True, "source": "test"},
        {"entry_id": "acme/m1@2025-06-01T12:00", "previous_entry_id": "acme/m1@2025-01-01", "currency": "USD",
         "fx_rate_to_usd": D(1), "input_uncached_per_mtok": D(1), "cache_read_per_mtok": D(1),
         "cache_write_5m_per_mtok": D(1), "cache_write_1h_per_mtok": D(1), "output_per_mtok": D(4),
         "request_fee": D(0), "has_tiers": False, "has_time_windows": False, "source": "test"}]
    assert pricing.reprice(con, date(2025, 2, 1), pricer) == {"r1": 1}  # r0 (January) is left alone
    assert pricing.reprice(con, date(2025, 1, 1), pricer) == {"r0": 1, "r1": 1}
    assert rows(con, "SELECT count(*) AS n FROM costs") == [{"n": 2}]


def test_price_opens_a_file_store(pricer, tmp_path, monkeypatch) -> None:
    db = tmp_path / "x.duckdb"
    con = _store([("c1", "r1", t("2025-02-10T12:00:00"), "ok", 100, 0, 0, None)])
    con.execute(f"ATTACH '{db}' AS f")
    con.execute("COPY FROM DATABASE memory TO f")
    con.close()
    monkeypatch.setattr(Pricer, "load", classmethod(lambda cls, cfg=None: pricer))  # load(cfg) since the merge
    assert pricing.price(db, "r1") == 1


def test_fx_follows_the_utc_date_whatever_the_machine_zone(pricer, monkeypatch) -> None:
    import time as time_module

    monkeypatch.setenv("TZ", "America/New_York")
    time_module.tzset()
    try:  # 2025-03-01 00:30 UTC is still February 28 in New York: the March rate (1.20) applies all the same
        con = _store([("c1", "r1", t("2025-03-01T00:30:00"), "ok", 1000, 0, 0, None)])
        pricing.price_run(con, "r1", pricer)
        (row,) = rows(con, "SELECT fx_rate_to_usd, total_usd FROM costs")
    finally:
        monkeypatch.delenv("TZ")
        time_module.tzset()
    # night window (22:00-02:00 UTC): 1,000 × 1 µEUR + 0.001 fee = 0.002 EUR × 1.20 = 0.0024 USD
    assert row == {"fx_rate_to_usd": D("1.2"), "total_usd": D("0.0024")}


def test_packaged_pricer_loads_and_keys_its_cache_by_file_stamps() -> None:
    first, second = Pricer.load(), Pricer.load()
    assert first.book is second.book and len(first.version) == 12
    assert first.fx.rate("CNY", date(2025, 3, 1)) == D("0.1370")  # H.10 January 2025, typed in fx.yml


# --- FX ----------------------------------------------------------------------------------------------------

def test_fx_rate_in_force_and_errors(tmp_path) -> None:
    (tmp_path / "fx.yml").write_text(FX)
    fx = load_fx(tmp_path / "fx.yml")
    assert [r.since for r in fx.rates["EUR"]] == [date(2025, 1, 1), date(2025, 3, 1)]  # sorted, whatever the file
    assert fx.rate("EUR", date(2025, 2, 28)) == D("1.10") and fx.rate("EUR", date(2025, 3, 1)) == D("1.20")
    assert fx.rate("EUR", datetime(2025, 3, 1, 0, 0, tzinfo=UTC)) == D("1.20")
    assert fx.rate("USD", date(1990, 1, 1)) == D(1)
    with pytest.raises(PriceBookError, match=r"no EUR→USD rate on or before 2024-12-31; add one"):
        fx.rate("EUR", date(2024, 12, 31))
    with pytest.raises(PriceBookError, match=r"no CNY→USD rate"):
        fx.rate("CNY", date(2025, 6, 1))
    (tmp_path / "bad.yml").write_text("rates:\n  - {currency: EUR, since: 2025-01-01, usd: 1.1}\n")
    with pytest.raises(PriceBookError, match=r"bad.yml: rates: field source: Field required"):
        load_fx(tmp_path / "bad.yml")
    (tmp_path / "empty.yml").write_text("")
    assert load_fx(tmp_path / "empty.yml").rates == {}


# --- loader cost columns ----------------------------------------------------------------------------------

def test_loader_call_row_keeps_usage_and_reported_cost_exact() -> None:
    rec = {"call_id": "c1", "run_id": "r", "provider": "openrouter", "status": "ok", "simulated": 1,
           "usage": {"input_uncached_tokens": 7, "cache_read_tokens": 6, "cache_write_5m_tokens": 5,
                     "cache_write_1h_tokens": 4, "output_tokens": 3, "reasoning_tokens": 2,
                     "provider_reported_cost": "0.000000000123"},
           "raw_usage": {"cost": 1.23e-10, "note": "é"}, "raw_response_text": '{"id": 1}',
           "request": {"path": "chat", "params": {"user": "é"}}}
    row = loader._call_row(rec, "2025-01-01T00:00:00+00:00")
    assert [row[k] for k in ("input_uncached_tokens", "cache_read_tokens", "cache_write_5m_tokens",
                             "cache_write_1h_tokens", "output_tokens", "reasoning_tokens")] == [7, 6, 5, 4, 3, 2]
    assert row["provider_reported_cost_usd"] == "0.000000000123"  # text: cast to DECIMAL in SQL, never a float
    assert row["raw_usage"] == '{"cost": 1.23e-10, "note": "é"}' and row["raw_response"] == '{"id": 1}'
    assert row["request_json"] == '{"path": "chat", "params": {"user": "é"}}' and row["simulated"] is True
    assert (row["call_id"], row["provider"], row["landed_at"]) == ("c1", "openrouter", "2025-01-01T00:00:00+00:00")
    failed = loader._call_row({"call_id": "c2", "usage": None, "raw_response_text": "<html>oops"}, "x")
    assert failed["input_uncached_tokens"] is None and failed["provider_reported_cost_usd"] is None
    assert failed["raw_response"] == '"<html>oops"' and failed["simulated"] is False
    assert loader._call_row({"call_id": "c3"}, "x")["raw_response"] is None


def test_a_failed_pricing_rolls_back_and_keeps_the_old_costs(pricer) -> None:
    import duckdb

    con = _store([("c1", "r1", t("2025-02-10T12:00:00"), "ok", 100, 0, 0, None)])
    pricing.price_run(con, "r1", pricer)
    con.execute("DROP TABLE daily_usage")  # the rollup step will fail inside the transaction
    with pytest.raises(duckdb.Error):
        pricing.price_run(con, "r1", pricer)
    # rolled back: the costs deleted at the start of the failed pass are back, and the connection is usable
    assert rows(con, "SELECT call_id, total_usd FROM costs") == [{"call_id": "c1", "total_usd": D("0.00132")}]
