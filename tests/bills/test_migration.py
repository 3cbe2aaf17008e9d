"""Migration 0009 creates the bill tables with exactly these columns."""

from __future__ import annotations

from costbench.store.db import rows

from tests.bills.helpers import db

EXPECTED = {
    "bill_imports": ["import_id", "source_format", "file_name", "file_sha256", "rows_read", "rows_added",
                     "rows_skipped", "source_columns", "imported_at"],
    "bill_rows": ["row_id", "import_id", "source_format", "source_line", "occurred_at", "period_end", "granularity",
                  "requests", "source_provider", "source_model", "provider", "model", "input_uncached_tokens",
                  "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "output_tokens",
                  "reasoning_tokens", "total_tokens", "reported_cost", "reported_currency", "tier_hint", "flags", "raw"],
    "bill_costs": ["row_id", "pricebook_version", "entry_id", "currency", "tier", "time_window", "input_uncached_cost",
                   "cache_read_cost", "cache_write_5m_cost", "cache_write_1h_cost", "output_cost", "request_fee",
                   "total", "fx_rate_to_usd", "repriced_usd", "reported_usd", "causes", "priced_at"],
}


def test_bill_tables_have_exact_columns() -> None:
    con = db()
    for table, columns in EXPECTED.items():
        found = rows(con, "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table])
        assert [r["column_name"] for r in found] == columns, table
    money = rows(con, "SELECT data_type FROM duckdb_columns() WHERE table_name = 'bill_costs' AND column_name = 'repriced_usd'")
    assert money == [{"data_type": "DECIMAL(38,12)"}]
