"""Formatting helpers shared by the report and the CLI: 3 significant digits, separators, exact JSON decimals."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from costbench.report import formatting as f
from costbench.store import analytics


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("0.000267123"), "$0.000267"),
    (Decimal("2.173904"), "$2.17"),
    (Decimal("0.0995"), "$0.0995"),
    (Decimal("0.09996"), "$0.100"),
    (Decimal("1234.5"), "$1,234"),       # half-even: never fewer than the integer digits
    (Decimal("1235.5"), "$1,236"),
    (Decimal("-0.00211999"), "−$0.00212"),
    (Decimal("0"), "$0"),
    (None, "—"),
])
def test_usd_three_significant_digits(value, expected) -> None:
    assert f.usd(value) == expected


def test_per_thousand_tasks_and_one_line_interval() -> None:
    assert f.usd_per_k(Decimal("0.000267") ) == "$0.267"
    assert f.usd_per_k(Decimal("0.0021739")) == "$2.17"
    assert f.usd_per_k(None) == "—"
    assert f.interval(Decimal("0.000241"), Decimal("0.0002951")) == "$0.241–$0.295"
    assert f.interval(None, Decimal("1")) == "—"


def test_tokens_percent_ratio() -> None:
    assert f.tokens(2735.66, 1) == "2,735.7"
    assert f.tokens(1234567) == "1,234,567"
    assert f.pct(0.749271137026239) == "74.9\u00a0%"
    assert f.signed_pct(-55.9958) == "−56.0\u00a0%"
    assert f.signed_pct(4.1) == "+4.1\u00a0%"
    assert f.ratio(None) == "—"


def test_cli_cells_by_column_name() -> None:
    assert f.cell("success_rate", 0.749271137026239) == "74.9\u00a0%"
    assert f.cell("cost_per_solved_task_usd", Decimal("0.000355516632")) == "$0.000356"
    assert f.cell("attempts", 12345) == "12,345"
    assert f.cell("avg_output_tokens", 2735.66) == "2,736"   # never fewer digits than the integer part
    assert f.cell("model", "deepseek-chat") == "deepseek-chat"
    assert f.cell("cache_effect_usd", None) == "—"


def test_cli_table_aligns_and_formats() -> None:
    rows = [{"model": "deepseek-chat", "success_rate": 0.749271137026239, "spend_usd": Decimal("2.173904")},
            {"model": "grok-4", "success_rate": None, "spend_usd": Decimal("0E-12")}]
    # widths 13 / 12 / 9; text left, numbers right, two spaces between columns
    assert f.table(rows).splitlines() == [
        "model" + " " * 8 + "  " + "success_rate" + "  " + "spend_usd",
        "deepseek-chat" + "  " + " " * 6 + "74.9\u00a0%" + "  " + " " * 4 + "$2.17",
        "grok-4" + " " * 7 + "  " + " " * 11 + "—" + "  " + " " * 7 + "$0",
    ]


def test_json_and_csv_keep_exact_decimals_without_exponents() -> None:
    rows = [{"spend_usd": Decimal("0E-12"), "cpst_usd": Decimal("1.5E-7"), "n": 3}]
    data = json.loads(analytics.to_json(rows))
    assert data == [{"spend_usd": "0.000000000000", "cpst_usd": "0.00000015", "n": 3}]
    assert analytics.to_csv(rows).splitlines()[1] == "0.000000000000,0.00000015,3"


def test_the_preflight_estimate_never_prints_a_tiny_cost_as_zero() -> None:
    from costbench.run.estimate import Estimate

    est = Estimate(calls=2, total_usd=Decimal("0.0000153"), per_model_usd={"openrouter/deepseek/deepseek-chat": Decimal("0.0000153")})
    lines = est.lines()
    assert lines[0].split()[-1] == "$0.0000153" and lines[1].split()[-1] == "$0.0000153"
    assert "$0.0000 " not in " ".join(lines) + " "
