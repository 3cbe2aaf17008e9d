"""Every export format lands in the disjoint buckets and re-prices to hand-computed figures.

Rates used below (per Mtok, USD unless said): anthropic/claude-sonnet-4 and openrouter/anthropic/claude-sonnet-4
in 3, 5 m write 3.75, 1 h write 6, read 0.30, out 15; anthropic above 200K total input: in 6, read 0.60, out 22.50;
deepseek-chat from 2025-09-29: CNY in 2, read 0.2, out 3, CNY→USD 0.1395 (the July 2025 average, in force 2025-08-01 to 2025-10-31); openai/gpt-5-mini
in 0.25, read 0.025, out 2.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from costbench.bills.importer import import_path
from costbench.bills.sources import BillError
from costbench.store.db import query, rows

from tests.bills.helpers import EXPORTS, ccr_sqlite, db, priced, pricer


def _buckets(r: dict) -> tuple:
    return (r["input_uncached_tokens"], r["cache_read_tokens"], r["cache_write_5m_tokens"],
            r["cache_write_1h_tokens"], r["output_tokens"])


def test_openrouter_csv_subtracts_cached_from_prompt_and_lists_unmapped() -> None:
    con = db()
    result = import_path(con, EXPORTS / "openrouter.csv", pricer=pricer())
    assert (result.source_format, result.rows_added) == ("openrouter-csv", 3)
    assert result.unmapped == ["openrouter:mistralai/mistral-tiny-2312"]
    a, b, c = priced(con, "openrouter-csv")
    assert (a["provider"], a["model"]) == ("openrouter", "anthropic/claude-sonnet-4")
    assert _buckets(b) == (1000, 9000, 0, 0, 10)          # 10000 prompt incl. 9000 cached
    assert a["repriced_usd"] == D("0.009")                # 1000×3 + 400×15 per M
    assert b["repriced_usd"] == D("0.00585")              # 1000×3 + 9000×0.30 + 10×15 per M
    assert b["reported_usd"] == D("0.00315")
    assert "cache writes not reported" in b["causes"]
    assert c["model"] is None and c["repriced_usd"] is None and "unmapped model" in c["causes"]
    assert "BYOK" in c["causes"]
    header = json.loads(rows(con, "SELECT source_columns::VARCHAR AS h FROM bill_imports")[0]["h"])
    raw = dict(zip(header, json.loads(a["raw"]), strict=True))     # the row as received, names from the header
    assert (raw["generation_id"], raw["tokens_prompt"], raw["cost_total"]) == ("gen-1750000000-aaaa", "1000", "0.0102")


def test_claude_code_tree_dedupes_keeps_1h_writes_and_prices_long_context_per_request() -> None:
    con = db()
    result = import_path(con, EXPORTS / "claude_code", pricer=pricer())
    assert (result.source_format, result.rows_read, result.rows_added) == ("claude-code", 4, 2)
    first, second = sorted(priced(con, "claude-code"), key=lambda r: r["occurred_at"])
    assert _buckets(first) == (10, 20000, 1000, 2000, 500)
    # 10×3 + 20000×0.30 + 1000×3.75 + 2000×6 + 500×15 = 29,280 per M
    assert first["repriced_usd"] == D("0.02928")
    assert first["occurred_at"].isoformat().startswith("2025-06-20T10:00:00")  # the main session line, not the replay
    # 250,100 total input > 200K: every token at the tier: 100×6 + 250000×0.60 + 1000×22.50 = 173,100 per M
    assert second["repriced_usd"] == D("0.1731") and second["tier"] == ">200000"


def test_claude_code_raw_row_keeps_usage_but_never_message_text_or_keys() -> None:
    con = db()
    import_path(con, EXPORTS / "claude_code", pricer=pricer())
    raw = " ".join(r["raw"] for r in rows(con, "SELECT raw::VARCHAR AS raw FROM bill_rows"))
    assert "cache_read_input_tokens" in raw
    assert "SECRET MESSAGE TEXT" not in raw and "sk-ant-" not in raw


def test_reimport_adds_nothing() -> None:
    con = db()
    first = import_path(con, EXPORTS / "openrouter.csv", pricer=pricer())
    again = import_path(con, EXPORTS / "openrouter.csv", pricer=pricer())
    assert (first.rows_added, again.rows_added) == (3, 0)
    assert rows(con, "SELECT count(*) AS n FROM bill_rows")[0]["n"] == 3
    assert rows(con, "SELECT count(*) AS n FROM bill_costs")[0]["n"] == 3
    assert rows(con, "SELECT count(*) AS n FROM bill_imports")[0]["n"] == 1
    assert query(con, "bills/audit_duplicate_row_ids") == []


def test_deepseek_daily_csv_in_cny_through_a_mapping_file() -> None:
    con = db()
    import_path(con, EXPORTS / "deepseek_cny.csv", mapping_path=EXPORTS / "deepseek_map.yml", pricer=pricer())
    (r,) = priced(con, "csv")
    assert r["granularity"] == "day" and r["currency"] == "CNY"
    assert _buckets(r) == (500000, 1000000, 0, 0, 200000)
    assert r["total"] == D("1.8")                          # 500000×2 + 1e6×0.2 + 200000×3 CNY per M
    assert r["repriced_usd"] == D("0.2511")                # 1.8 × 0.1395
    assert r["reported_usd"] == D("0.279")                 # 2.00 CNY × 0.1395
    assert "FX" in r["causes"]


def test_anthropic_usage_report_day_buckets_tier_from_context_window() -> None:
    con = db()
    import_path(con, EXPORTS / "anthropic_usage.json", pricer=pricer())
    low, high = priced(con, "anthropic-usage")
    assert _buckets(low) == (1000000, 3000000, 200000, 100000, 50000)
    assert low["repriced_usd"] == D("6")                   # 3 + 0.9 + 0.75 + 0.6 + 0.75
    assert "priced at the base tier" in low["causes"]
    assert high["repriced_usd"] == D("2.625")              # "200k-1M": 400000×6 + 10000×22.50 per M
    assert high["tier"] == ">200000"


def test_openai_usage_input_includes_cached() -> None:
    con = db()
    import_path(con, EXPORTS / "openai_usage.json", pricer=pricer())
    (r,) = priced(con, "openai-usage")
    assert (r["model"], r["requests"], _buckets(r)) == ("gpt-5-mini", 212, (210000, 610000, 0, 0, 41000))
    assert r["repriced_usd"] == D("0.14975")               # 210000×0.25 + 610000×0.025 + 41000×2 per M


def test_litellm_spendlogs_cache_from_metadata_and_no_prompts_kept() -> None:
    con = db()
    import_path(con, EXPORTS / "litellm.json", pricer=pricer())
    (r,) = priced(con, "litellm-spendlogs")
    assert _buckets(r) == (1000, 48000, 2000, 0, 400)       # 51000 prompt incl. reads and writes
    assert r["repriced_usd"] == D("0.0309")                 # 1000×3 + 48000×0.3 + 2000×3.75 + 400×15 per M
    assert "SECRET MESSAGE TEXT" not in r["raw"]


def test_ccusage_generation_and_ccr() -> None:
    con = db()
    import_path(con, EXPORTS / "ccusage_daily.json", pricer=pricer())
    import_path(con, EXPORTS / "generation.json", pricer=pricer())
    (daily,) = priced(con, "ccusage")
    assert daily["repriced_usd"] == D("0.096")              # 2000×3 + 100000×0.3 + 4000×3.75 + 3000×15 per M
    assert "merges 5 m and 1 h" in daily["causes"]
    (gen,) = priced(con, "openrouter-generation")
    assert _buckets(gen) == (1000, 1000, 0, 0, 600)          # native counts, cached ⊂ prompt
    assert gen["repriced_usd"] == D("0.0123")                # 1000×3 + 1000×0.3 + 600×15 per M


def test_ccr_usage_sqlite(tmp_path: Path) -> None:
    con = db()
    result = import_path(con, ccr_sqlite(tmp_path), pricer=pricer())
    assert result.unmapped == ["DeepSeek:deepseek-v4-flash"]
    chat, flash = priced(con, "ccr-usage")
    assert chat["repriced_usd"] == D("0.37665")             # (1e6×2 + 2e6×0.2 + 1e5×3)/1e6 CNY × 0.1395
    assert flash["repriced_usd"] is None and flash["source_model"] == "deepseek-v4-flash"


def test_bad_row_rejects_the_whole_file_with_file_line_and_field(tmp_path: Path) -> None:
    text = (EXPORTS / "openrouter.csv").read_text(encoding="utf-8").replace(",1000,400,100,0,", ",1000,4x0,100,0,")
    bad = tmp_path / "activity.csv"
    bad.write_text(text, encoding="utf-8")
    con = db()
    with pytest.raises(BillError) as err:
        import_path(con, bad, pricer=pricer())
    assert str(err.value).startswith(f"{bad}:2: field tokens_completion: '4x0' is not a whole number")
    assert "--skip-bad" in str(err.value)
    assert rows(con, "SELECT count(*) AS n FROM bill_rows")[0]["n"] == 0
    result = import_path(con, bad, pricer=pricer(), skip_bad=True)
    assert (result.rows_added, result.rows_skipped) == (2, 1)
    assert result.skipped[0].startswith(f"{bad}:2: field tokens_completion")


def test_bad_json_line_in_a_tree_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "projects" / "p"
    folder.mkdir(parents=True)
    (folder / "s.jsonl").write_text('{"type":"user"}\n{not json\n', encoding="utf-8")
    with pytest.raises(BillError, match=r"s\.jsonl:2: not valid JSON"):
        import_path(db(), tmp_path / "projects", pricer=pricer())


def test_unknown_csv_needs_a_format() -> None:
    with pytest.raises(BillError, match="--format csv --map FILE"):
        import_path(db(), EXPORTS / "mistral_totals.csv", pricer=pricer())


def test_time_of_day_window_per_request_and_flagged_on_days(tmp_path: Path) -> None:
    # deepseek-chat from 2025-02-26T16:30Z: CNY 2 in per Mtok, off-peak 16:30-00:30 UTC CNY 1; 0.1370 USD/CNY.
    bill = tmp_path / "requests.csv"
    bill.write_text("at,model,miss,out,gran\n2025-03-01T17:00:00Z,deepseek-chat,1000000,0,request\n"
                    "2025-03-01T12:00:00Z,deepseek-chat,1000000,0,request\n", encoding="utf-8")
    mapping = tmp_path / "map.yml"
    mapping.write_text("provider: deepseek\ngranularity: request\n"
                       "columns: {occurred_at: at, model: model, input_tokens: miss, output_tokens: out}\n",
                       encoding="utf-8")
    con = db()
    import_path(con, bill, mapping_path=mapping, pricer=pricer())
    night, noon = priced(con, "csv")
    assert (night["time_window"], night["repriced_usd"]) == ("off-peak", D("0.137"))
    assert (noon["time_window"], noon["repriced_usd"]) == (None, D("0.274"))
    day_map = tmp_path / "day.yml"
    day_map.write_text(mapping.read_text(encoding="utf-8").replace("granularity: request", "granularity: day"),
                       encoding="utf-8")
    day_bill = tmp_path / "days.csv"
    day_bill.write_text("at,model,miss,out\n2025-03-02,deepseek-chat,1000000,0\n", encoding="utf-8")
    import_path(con, day_bill, mapping_path=day_map, pricer=pricer())
    day = [r for r in priced(con, "csv") if r["granularity"] == "day"][0]
    assert day["repriced_usd"] == D("0.274") and "window unknown at day granularity" in day["causes"]


def test_overlapping_export_adds_only_new_rows(tmp_path: Path) -> None:
    lines = (EXPORTS / "openrouter.csv").read_text(encoding="utf-8").splitlines()
    later = tmp_path / "later.csv"   # rows 2-3 again (a wider export period) plus one new generation
    new = lines[1].replace("gen-1750000000-aaaa", "gen-1750000009-zzzz")
    later.write_text("\n".join([lines[0], lines[2], lines[3], new]) + "\n", encoding="utf-8")
    con = db()
    import_path(con, EXPORTS / "openrouter.csv", pricer=pricer())
    result = import_path(con, later, pricer=pricer())
    assert (result.rows_read, result.rows_added) == (3, 1)
    assert rows(con, "SELECT count(*) AS n FROM bill_rows")[0]["n"] == 4
    assert query(con, "bills/audit_duplicate_row_ids") == []


def test_key_shaped_text_in_a_csv_row_never_reaches_the_store(tmp_path: Path) -> None:
    text = (EXPORTS / "openrouter.csv").read_text(encoding="utf-8").replace("laptop-key", "sk-or-v1-0123456789abcdef0123")
    leaky = tmp_path / "activity.csv"
    leaky.write_text(text, encoding="utf-8")
    con = db()
    import_path(con, leaky, pricer=pricer())
    raws = [r["raw"] for r in rows(con, "SELECT raw::VARCHAR AS raw FROM bill_rows")]
    assert len(raws) == 3 and all("[REDACTED]" in r and "0123456789abcdef" not in r for r in raws)
