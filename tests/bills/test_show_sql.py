"""``bill show`` and the truth-check queries others read: reconciliation and measured billing lag."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from costbench.bills.importer import import_path
from costbench.bills.show import show
from costbench.store.db import query

from tests.bills.helpers import EXPORTS, db, pricer


def test_show_by_model_reports_difference_and_lists_unmapped() -> None:
    con = db()
    import_path(con, EXPORTS / "openrouter.csv", pricer=pricer())
    by_model = {r["key"]: r for r in show(con, "model", pricer())}
    sonnet = by_model["openrouter/anthropic/claude-sonnet-4"]
    assert (sonnet["reported_usd"], sonnet["repriced_usd"]) == (D("0.01335"), D("0.01485"))  # 0.0102+0.00315; 0.009+0.00585
    assert sonnet["difference_usd"] == D("-0.0015")
    assert "cache writes not reported" in sonnet["causes"]
    unmapped = by_model["unmapped: mistralai/mistral-tiny-2312"]
    assert unmapped["repriced_usd"] is None and unmapped["rows_not_repriced"] == 1
    assert [r["key"] for r in show(con, "day", pricer())] == ["2025-06-15", "2025-06-16"]


def test_reconciliation_per_day(tmp_path: Path) -> None:
    con = db()
    import_path(con, EXPORTS / "deepseek_cny.csv", mapping_path=EXPORTS / "deepseek_map.yml", pricer=pricer())
    (r,) = query(con, "bills/reconciliation")
    assert (str(r["day"]), r["model"], r["rows_compared"]) == ("2025-10-02", "deepseek-chat", 1)
    assert r["delta_usd"] == D("0.0279")                      # 0.279 reported − 0.2511 re-priced


def test_billing_lag_is_the_first_day_the_bill_follows_the_new_price(tmp_path: Path) -> None:
    # deepseek-chat: CNY 4/Mtok input from 2025-09-05, CNY 2 from 2025-09-29. Bills for 1M input tokens per day
    # charge the old 4 CNY on 09-29 and 09-30 and the new 2 CNY from 10-01: a lag of two days.
    bill = tmp_path / "deepseek_days.csv"
    bill.write_text("date,model,miss,out,amount,currency\n2025-09-29,deepseek-chat,1000000,0,4.00,CNY\n"
                    "2025-09-30,deepseek-chat,1000000,0,4.00,CNY\n2025-10-01,deepseek-chat,1000000,0,2.00,CNY\n",
                    encoding="utf-8")
    mapping = tmp_path / "map.yml"
    mapping.write_text("provider: deepseek\ngranularity: day\ncolumns: {occurred_at: date, model: model, "
                       "input_tokens: miss, output_tokens: out, reported_cost: amount, currency: currency}\n",
                       encoding="utf-8")
    con = db()
    import_path(con, bill, mapping_path=mapping, pricer=pricer())
    lags = {r["entry_id"]: r for r in query(con, "bills/billing_lag")}
    lag = lags["deepseek/deepseek-chat@2025-09-29"]
    assert (str(lag["first_billed_day"]), lag["lag_days"], lag["billed_days"]) == ("2025-10-01", 2, 3)
    assert "deepseek/deepseek-chat@2025-09-05T16:00" not in lags    # no billed day falls in its own period
