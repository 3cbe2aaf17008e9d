"""The ``bill`` and ``whatif`` commands: one-line errors, the issue's JSON shape, CSV output."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from costbench.cli import main

from tests.bills.helpers import EXPORTS


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_show_and_whatif_json(tmp_path: Path) -> None:
    store = str(tmp_path / "b.duckdb")
    code, out, _ = _run("bill", "import", str(EXPORTS / "openrouter.csv"), "--db", store)
    assert code == 0 and "3 rows read, 3 added" in out and "mistralai/mistral-tiny-2312" in out
    code, out, _ = _run("bill", "import", str(EXPORTS / "openrouter.csv"), "--db", store)
    assert code == 0 and "0 added" in out
    code, out, _ = _run("bill", "show", "--by", "source", "--format", "csv", "--db", store)
    assert code == 0
    header, line = out.splitlines()[:2]
    assert header.startswith("key,rows,requests,total_tokens,reported_usd,repriced_usd,difference_usd")
    assert line.startswith("openrouter-csv,3,3,11660,0.013450000000,0.014850000000,-0.001500000000")
    code, out, _ = _run("whatif", "--model", "deepseek/deepseek-chat", "--model", "openai/gpt-5-mini",
                        "--format", "json", "--db", store)
    assert code == 0
    report = json.loads(out)
    assert set(report) == {"actual", "models"}
    deepseek, gpt = report["models"]
    assert list(deepseek) == ["model", "cost_usd_same_tokens", "cost_usd", "rows", "token_ratio", "assumptions"]
    # deepseek-chat in June 2025 (CNY 2 in, 0.5 read, 8 out; 0.1370 USD/CNY), the unmapped row included:
    # 1000×2 + 400×8 = 5,200; 1000×2 + 9000×0.5 + 10×8 = 6,580; 200×2 + 50×8 = 800 → 12,580 / 1e6 CNY
    assert deepseek["cost_usd_same_tokens"] == "0.001723460000" and deepseek["rows"] == 3
    # gpt-5-mini's first price is dated 2025-08-07: nothing to price, so no figure (not zero)
    assert gpt["cost_usd_same_tokens"] is None and gpt["rows"] == 0
    assert any("3 rows not priced" in a for a in gpt["assumptions"])


def test_bad_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "activity.csv"
    bad.write_text((EXPORTS / "openrouter.csv").read_text(encoding="utf-8").replace("2025-06-16 09:30:00.000", "yesterday"),
                   encoding="utf-8")
    code, out, err = _run("bill", "import", str(bad), "--db", str(tmp_path / "b.duckdb"))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"Error: {bad}:4: field created_at: 'yesterday' is not a date/time")
