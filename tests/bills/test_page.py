"""The "Your bill" report page: figures per day and model, what-if on the benchmarked models, nothing private."""

from __future__ import annotations

from pathlib import Path

from costbench.bills.importer import import_path
from costbench.bills.page import render_bills
from costbench.report.site import Site, _provenance

from tests.bills.calls_fixture import add_call, add_run
from tests.bills.helpers import EXPORTS, db, pricer


def test_page_shows_reported_repriced_and_whatif_but_no_private_fields(tmp_path: Path) -> None:
    con = db()
    import_path(con, EXPORTS / "claude_code", pricer=pricer())
    import_path(con, EXPORTS / "openrouter.csv", pricer=pricer())
    add_run(con)
    add_call(con, "c1", "deepseek", "deepseek-chat", "t1", "refactor", "case1", 100, 10)  # a benchmarked model
    site = Site(tmp_path, _provenance(con))
    render_bills(site, con)
    site.finish()  # pages are written when the site is finished
    html = (tmp_path / "bill.html").read_text(encoding="utf-8")
    assert "$0.202380" in html                      # claude-sonnet-4 on 2025-06-20: 0.02928 + 0.1731
    assert "unmapped: mistralai/mistral-tiny-2312" in html and "not priced" in html
    # deepseek-chat, same tokens: 0.02099114 (Claude Code rows) + 0.00172346 (OpenRouter rows)
    assert "deepseek/deepseek-chat" in html and "$0.0227146" in html  # 0.0227146 to 6 significant digits
    for private in ("SECRET MESSAGE TEXT", "sk-ant-", "laptop-key", "user-7"):
        assert private not in html
    assert (tmp_path / "data" / "bill_whatif.csv").is_file()


def test_no_page_without_bills(tmp_path: Path) -> None:
    con = db()
    site = Site(tmp_path, _provenance(con))
    render_bills(site, con)
    site.finish()  # pages are written when the site is finished
    assert not (tmp_path / "bill.html").exists()
