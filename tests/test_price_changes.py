"""price_changes on hand-made CNY rows: own-currency announced changes, an explicit FX effect, window
events, a measured billing lag and NULL where there is no data (every figure computed by hand below)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from costbench.store.db import query, rows
from tests.sql_fixtures import D, add_call, add_run, db, rollup

E1, E2, E3 = "deepseek/y@2025-01-01", "deepseek/y@2025-09-05T16:00", "deepseek/y@2025-12-01"
AT2 = datetime(2025, 9, 5, 16, tzinfo=UTC)


def _entry(con, entry_id: str, prev: str | None, at: datetime, announced, rates: tuple, conf: str) -> None:
    con.execute("INSERT INTO price_entries VALUES ('pb1', ?, 'deepseek', 'y', ?, ?, ?, 'CNY', 0.137, ?, ?, ?, ?, ?, 0, "
                "false, false, 's')", [entry_id, prev, at, announced, rates[0], rates[1], rates[0], rates[0], rates[2]])
    con.execute("INSERT INTO price_entry_details VALUES ('pb1', ?, ?, 'evidence text', false, true, false, false, ?)",
                [entry_id, conf, None if prev is None else D(1)])


@pytest.fixture
def con():
    con = db()
    # CNY per Mtok (input, cache read, output); FX of the entries at D: 0.137 USD per CNY
    _entry(con, E1, None, datetime(2025, 1, 1, tzinfo=UTC), None, (D(2), D("0.5"), D(8)), "unverified")
    _entry(con, E2, E1, AT2, datetime(2025, 8, 21).date(), (D(4), D("0.5"), D(12)), "confirmed")
    _entry(con, E3, E2, datetime(2025, 12, 1, tzinfo=UTC), None, (D(4), D("0.5"), D(6)), "confirmed")
    con.execute("INSERT INTO price_windows VALUES ('pb1', ?, 'off-peak', ?, ?, 1, 0.25, 1, 1, 4)",
                [E1, time(16, 30), time(0, 30)])
    before, after = AT2 - timedelta(days=2), AT2 + timedelta(days=1)
    add_run(con, "r-b", before)
    add_run(con, "r-a", after)
    # before: 1M in + 1M out at 2 / 8 CNY = 10 CNY, billed at 0.137 → $1.37
    add_call(con, "r-b", "b1", before, uncached=1_000_000, read=0, out=1_000_000, passed=True, total_usd=D("1.37"), entry=E1,
             model="y")
    # after: twice 1M in + 1M out at 4 / 12 = 16 CNY, billed at 0.1395 (a later FX rate) → $2.232 each;
    # the provider's own figure still shows the old price on the first call (flagged), the new one on the second
    for call_id, at, flagged in (("a1", after, True), ("a2", after + timedelta(hours=1), False)):
        add_call(con, "r-a", call_id, at, uncached=1_000_000, read=0, out=1_000_000, passed=True, total_usd=D("2.232"),
                 entry=E2, model="y", reported=D("1.37") if flagged else D("2.232"))
    con.execute("UPDATE costs SET currency = 'CNY', total = total_usd / fx_rate_to_usd")
    con.execute("UPDATE costs SET total = 10, fx_rate_to_usd = 0.137 WHERE call_id = 'b1'")
    con.execute("UPDATE costs SET total = 16, fx_rate_to_usd = 0.1395, reconciliation_flag = (call_id = 'a1') "
                "WHERE call_id IN ('a1', 'a2')")
    con.execute("INSERT INTO runs SELECT 'r-x', run_at, started_at, NULL, 'ok', NULL, 'cfg', 'cat1', 'pb1', true, 5 FROM runs "
                "WHERE run_id = 'r-b'")  # the current price-book version is pb1
    rollup(con)
    return con


def _events(con) -> dict:
    return {(r["event_kind"], r["entry_id"], r["window_name"]): r for r in query(con, "analytics/price_changes", window_days=7)}


def test_announced_change_in_own_currency_and_the_fx_line(con) -> None:
    row = _events(con)[("price change", E2, None)]
    assert (row["advertised_input_change_pct"], row["advertised_output_change_pct"]) == (100.0, 50.0)
    assert row["advertised_cache_read_change_pct"] == 0.0 and row["advertised_cache_write_change_pct"] is None
    assert row["advertised_blended_change_pct"] == pytest.approx(60.0)   # (4 + 12) / (2 + 8) at the before mix
    assert (row["cpst_before_usd"], row["cpst_after_usd"]) == (D("1.37"), D("2.232"))
    # price: (1M × 2 + 1M × 4) CNY/Mtok × 0.137 = $0.822; cache mix unchanged: 0
    assert (row["price_effect_usd"], row["cache_effect_usd"]) == (D("0.822"), D(0))
    # FX: after (2 × $2.232 − 32 CNY × 0.137) / 2 = $0.04, before ($1.37 − 10 × 0.137) = 0
    assert row["fx_effect_usd"] == D("0.04") and row["usage_effect_usd"] == D(0)
    assert sum(row[k] for k in ("price_effect_usd", "cache_effect_usd", "fx_effect_usd", "usage_effect_usd")) == D("0.862")
    assert row["confidence"] == "unverified" and row["currency"] == "CNY"


def test_billing_lag_is_measured_from_provider_reported_cost(con) -> None:
    events = _events(con)
    row = events[("price change", E2, None)]
    # the first call billed at the new price is on 2025-09-06 (a2); announced 2025-08-21 → 16 days
    assert (row["billing_lag_days"], row["billing_lag_basis"]) == (16, "provider-reported cost")
    later = events[("price change", E3, None)]
    assert later["billing_lag_days"] is None and later["billing_lag_basis"] == "not measurable (no calls in the window)"
    at = datetime(2025, 12, 2, tzinfo=UTC)  # a call after E3, with no provider-reported cost
    add_run(con, "r-c", at)
    add_call(con, "r-c", "c1", at, uncached=1, read=0, out=1, passed=True, total_usd=D("0.1"), entry=E3, model="y")
    rollup(con)
    later = _events(con)[("price change", E3, None)]
    assert later["billing_lag_days"] is None and later["billing_lag_basis"] == "not measurable (no provider-reported cost)"


def test_no_data_is_null_not_zero(con) -> None:
    row = _events(con)[("price change", E3, None)]
    assert row["advertised_output_change_pct"] == -50.0
    for key in ("cpst_before_usd", "cpst_after_usd", "price_effect_usd", "cache_effect_usd", "fx_effect_usd",
                "usage_effect_usd", "advertised_blended_change_pct", "measured_cpst_change_pct"):
        assert row[key] is None, key
    assert (row["calls_before"], row["calls_after"]) == (0, 0)


def test_time_of_day_windows_are_events_with_their_discount(con) -> None:
    events = _events(con)
    start = events[("window start", E1, "off-peak")]
    assert (start["advertised_input_change_pct"], start["advertised_cache_read_change_pct"],
            start["advertised_output_change_pct"]) == (-50.0, -50.0, -50.0)
    assert start["window_hours"] == "16:30–00:30 UTC"
    end = events[("window end", E2, "off-peak")]  # the 2025-09-05 entry drops it: back from 1 / 4 to 4 / 12
    assert (end["advertised_input_change_pct"], end["advertised_output_change_pct"]) == (300.0, 200.0)
    assert end["price_effect_usd"] is None


def test_site_shows_reconciliation_fx_rates_window_events_and_unverified_marks(con, tmp_path) -> None:
    from costbench.report.site import render_site

    con.execute("INSERT INTO fx_rates VALUES ('pb1', 'CNY', DATE '2025-08-01', 0.1395, '2025-07 average', "
                "'https://www.federalreserve.gov/releases/h10/hist/dat00_ch.htm (H.10)')")
    con.execute("UPDATE costs SET reconciliation_delta_usd = -0.862 WHERE call_id = 'a1'")
    render_site(con, tmp_path)
    quality = (tmp_path / "quality.html").read_text()
    # deepseek/y: 2 calls with a provider figure, 1 flagged; reported 1.37 + 2.232 vs computed 2 × 2.232
    assert "deepseek/y" in quality and "1 (50.0\u00a0%)" in quality and "$3.602000" in quality and "$4.464000" in quality
    assert "2025-07 average" in quality and "32.000000000000 CNY" in quality    # native next to USD
    changes = (tmp_path / "changes" / "index.html").read_text()
    assert "(window start off-peak)" in changes and "(window end off-peak)" in changes and "†" in changes
    page = next((tmp_path / "changes").glob("*window-end-off-peak*.html")).read_text()
    assert "16:30–00:30 UTC" in page and "+300.0\u00a0%" in page
    change = next(p for p in (tmp_path / "changes").glob("*.html") if "window" not in p.name and "09-05" in p.name)
    assert "FX effect" in change.read_text() and "$40.0" in change.read_text()  # $0.04 per solved task, per 1,000


def test_price_changes_match_their_sql_of_before(con) -> None:
    """Each side's native spend now comes from the night_usage rollup, not calls + costs: the same rows."""
    from tests import raw_reference_sql as ref

    for days in (1, 7, 30):
        before = [_no_calls_label(r) for r in rows(con, ref.before("price_changes"), {"window_days": days})]
        assert query(con, "analytics/price_changes", window_days=days) == before


def _no_calls_label(row: dict) -> dict:
    """The SQL of before said "no provider-reported cost" also when the after window had no call at all."""
    if row["billing_lag_basis"] == "not measurable (no provider-reported cost)" and row["calls_after"] == 0:
        return {**row, "billing_lag_basis": "not measurable (no calls in the window)"}
    return row
