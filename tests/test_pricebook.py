"""The price book: strict loading with errors naming file, entry and field; dated lookups; import; CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from costbench.cli import main
from costbench.errors import PriceBookError, PriceNotFound, UnknownModel
from costbench.prices.book import PRICES_DIR, json_schema, load_pricebook

GOOD = """provider: acme
models:
  m1:
    - effective_from: 2025-01-01T00:00:00Z
      currency: USD
      rates: {input_uncached: 1.10, output: 4}
      source: https://example.invalid/pricing
      checked_on: 2026-11-24
      confidence: confirmed
      evidence: "the vendor's own pricing page, read on 2026-11-24"
"""


def _book(tmp_path: Path, text: str, name: str = "acme.yml") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_prices_are_exact_decimals_from_yaml_text(tmp_path) -> None:
    entry = load_pricebook(_book(tmp_path, GOOD)).price_for("acme", "m1", datetime(2025, 6, 1, tzinfo=UTC))
    assert entry.rates.input_uncached == Decimal("1.10") and str(entry.rates.input_uncached) == "1.10"
    assert entry.entry_id == "acme/m1@2025-01-01"


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("rates:", "ratez:"), "m1 entry effective_from=2025-01-01 00:00:00+00:00: field ratez: Extra inputs are not permitted. Did you mean: rates"),
    (GOOD.replace("currency: USD", "currency: GBP"), "field currency: Input should be 'USD', 'CNY' or 'EUR'"),
    (GOOD.replace("      source: https://example.invalid/pricing\n", ""), "field source: Field required"),
    (GOOD.replace("output: 4", "outptu: 4"), "field rates.outptu"),
    (GOOD.replace("      confidence: confirmed\n", ""), "field confidence: Field required"),
    (GOOD.replace("confidence: confirmed", "confidence: likely"), "field confidence: Input should be 'confirmed' or 'unverified'"),
    (GOOD.replace("the vendor's own pricing page, read on 2026-11-24", "see web"), "field evidence: String should have at least 10"),
    ("provider: [unclosed", "not valid YAML"),
])
def test_bad_price_files_name_file_entry_and_field(tmp_path, text: str, message: str) -> None:
    root = _book(tmp_path, text)
    with pytest.raises(PriceBookError) as info:
        load_pricebook(root)
    assert str(root / "acme.yml") in str(info.value)
    assert message in str(info.value)


def test_a_change_must_be_a_new_entry(tmp_path) -> None:
    twice = GOOD + GOOD.split("models:\n  m1:\n", 1)[1]
    with pytest.raises(PriceBookError, match="two entries share an effective_from"):
        load_pricebook(_book(tmp_path, twice))


def test_lookup_before_first_entry_and_unknown_model() -> None:
    book = load_pricebook()
    with pytest.raises(PriceNotFound, match="add one with effective_from <= that time"):
        book.price_for("deepseek", "deepseek-chat", datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(UnknownModel, match="Did you mean: mistral/mistral-large-2411"):
        book.price_for("mistral", "mistral-large-2412", datetime(2025, 1, 1, tzinfo=UTC))


def test_deepseek_history_has_the_2025_09_29_cut() -> None:
    changes = [(c.previous.entry_id, c.current.entry_id) for c in load_pricebook().changes()]
    assert ("deepseek/deepseek-chat@2025-09-05T16:00", "deepseek/deepseek-chat@2025-09-29") in changes


def test_committed_schema_is_current() -> None:
    assert json.loads((PRICES_DIR / "schema.json").read_text()) == json_schema()


def test_own_files_override_imported_entries(tmp_path) -> None:
    (tmp_path / "imported").mkdir()
    _book(tmp_path, GOOD.replace("1.10", "9.99").replace("2025-01-01", "2023-01-01"), "imported/acme.yml")
    _book(tmp_path, GOOD.replace("m1:", "m2:"), "imported/acme2.yml")
    book = load_pricebook(_book(tmp_path, GOOD))
    assert [e.rates.input_uncached for e in book.entries("acme", "m1")] == [Decimal("1.10")]
    assert book.entries("acme", "m2")[0].entry_id == "acme/m2@2025-01-01"  # only upstream knows m2


def test_import_from_genai_prices_writes_loadable_entries(tmp_path) -> None:
    from costbench.prices.importer import dump, import_provider

    (tmp_path / "own.yml").write_text(GOOD)
    (tmp_path / "imported").mkdir()
    (tmp_path / "imported" / "deepseek.yml").write_text(dump(import_provider("deepseek", ["deepseek-chat"])))
    entry = load_pricebook(tmp_path).price_for("deepseek", "deepseek-chat", datetime(2025, 3, 1, 12, tzinfo=UTC))
    assert entry.rates.output == Decimal("0.55") and entry.windows[0].rates.output == Decimal("1.1")
    with pytest.raises(UnknownModel, match="genai-prices has no model"):
        import_provider("deepseek", ["deepseek-nope-9000"])


def test_cli_cost_prices_and_errors(tmp_path) -> None:
    runner = CliRunner()
    usage = '{"input_uncached_tokens": 2753752, "cache_read_tokens": 946816, "output_tokens": 3100977}'
    out = runner.invoke(main, ["cost", "--usage", "-", "--model", "deepseek/deepseek-chat", "--at", "2024-09-01T12:00:00Z"],
                        input=usage)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert (data["currency"], data["total"]) == ("CNY", "9.0503876")
    assert data["entry"]["entry_id"] == "deepseek/deepseek-chat@2024-08-02"
    shown = runner.invoke(main, ["prices", "show", "deepseek/deepseek-chat", "--json"])
    assert len(json.loads(shown.output)) == 8  # 2024-08-02 … 2026-09-10 (deepseek.yml)
    bad = runner.invoke(main, ["cost", "--usage", "-", "--model", "deepseek/deepseek-chat"], input='{"input_tokens": 1}')
    assert bad.exit_code == 1 and "Did you mean" in bad.output and "Traceback" not in bad.output
    assert runner.invoke(main, ["prices", "check"]).exit_code == 0


def test_the_packaged_price_book_is_parsed_again_only_when_a_file_changes(monkeypatch, tmp_path) -> None:
    import shutil

    from costbench.prices import pricing

    prices = tmp_path / "prices"
    shutil.copytree(pricing.PRICES_DIR, prices)
    monkeypatch.setattr(pricing, "PRICES_DIR", prices)
    monkeypatch.setattr(pricing, "_LOADED", {})
    first, second = pricing.Pricer.load(), pricing.Pricer.load()
    assert second.book is first.book  # not parsed twice
    path = prices / "deepseek.yml"
    path.write_text(path.read_text() + "\n# an edit\n")
    third = pricing.Pricer.load()
    assert third.book is not first.book and third.version != first.version


def test_importer_keeps_1h_writes_marks_undated_and_unverified(tmp_path) -> None:
    from costbench.prices.importer import import_provider

    (entry,) = import_provider("anthropic", ["claude-sonnet-4"])["models"]["claude-sonnet-4"]
    # genai-prices anthropic claude-sonnet-4-0: 3 / 3.75 (write) / 6 (1h write) / 0.3 / 15 per Mtok
    assert entry["rates"] == {"input_uncached": "3", "cache_read": "0.3", "cache_write_5m": "3.75",
                              "cache_write_1h": "6", "output": "15"}
    assert entry["undated"] is True and entry["confidence"] == "unverified" and "no start date" in entry["evidence"]


def test_importer_refuses_a_model_without_an_output_price() -> None:
    from costbench.prices.importer import import_provider

    # genai-prices mistral codestral-embed-2505 has input and cache read prices only
    with pytest.raises(PriceBookError, match="has no output_mtok: refusing to price it as 0"):
        import_provider("mistral", ["codestral-embed-2505"])


def test_cli_import_never_writes_into_the_package(tmp_path) -> None:
    result = CliRunner().invoke(main, ["prices", "import", "--provider", "mistral", "--out", str(PRICES_DIR / "imported")])
    assert result.exit_code == 1 and "never write into the installed package" in result.output
    assert not (PRICES_DIR / "imported").exists()
    ok = CliRunner().invoke(main, ["prices", "import", "--provider", "mistral", "--out", str(tmp_path / "up")])
    assert ok.exit_code == 0, ok.output
    assert "undated: true" in (tmp_path / "up" / "mistral.yml").read_text()


LOCALPROXY_TOML = """
[prices]
paths = ["my-prices"]
[providers.localproxy]
dialect = "openai_chat"
price_as = "openai"
[providers.acme]
dialect = "openai_chat"
[[models]]
provider = "localproxy"
model = "gpt-5-mini"
[[models]]
provider = "acme"
model = "m1"
"""


def test_user_price_books_and_price_as(tmp_path) -> None:
    from costbench.config import load_config
    from costbench.prices.pricing import Pricer
    from costbench.usage import Usage

    (tmp_path / "costbench.toml").write_text(LOCALPROXY_TOML)
    (tmp_path / "my-prices").mkdir()
    (tmp_path / "my-prices" / "acme.yml").write_text(GOOD)
    pricer = Pricer.load(load_config(tmp_path / "costbench.toml"))
    at = datetime(2025, 9, 1, tzinfo=UTC)
    # localproxy is priced as openai: gpt-5-mini 0.25 in / 2.00 out per Mtok → 1M in + 1M out = 2.25
    usage = Usage(input_uncached_tokens=1_000_000, output_tokens=1_000_000)
    assert pricer.cost_usd("localproxy", "gpt-5-mini", at, usage) == Decimal("2.25")
    assert pricer.cost_usd("acme", "m1", at, usage) == Decimal("5.10")          # 1.10 + 4 from the user file
    # a call charged at its worst case (usage unreadable) is priced as openai too: 1M prompt + 1M output tokens
    worst = pricer.worst_case("localproxy", "gpt-5-mini", at, 1_000_000, 1_000_000)
    assert worst.entry_id.startswith("openai/gpt-5-mini@") and worst.total_usd == pricer.worst_case_usd(
        "localproxy", "gpt-5-mini", at, 1_000_000, 1_000_000) >= Decimal("2.25")
    with pytest.raises(UnknownModel, match=r"\[prices\] paths of costbench.toml, or set price_as"):
        Pricer.load().cost_usd("localproxy", "gpt-5-mini", at, usage)
    listed = CliRunner().invoke(main, ["prices", "list", "--config", str(tmp_path / "costbench.toml")])
    assert "acme/m1  1 entry, current acme/m1@2025-01-01  USD" in listed.output
    assert "google/gemini-2.5-flash  2 entries" in listed.output and "[unverified]" in listed.output


def test_a_user_book_is_validated_like_the_package(tmp_path) -> None:
    from costbench.config import load_config
    from costbench.prices.pricing import Pricer

    (tmp_path / "costbench.toml").write_text(LOCALPROXY_TOML)
    (tmp_path / "my-prices").mkdir()
    (tmp_path / "my-prices" / "acme.yml").write_text(GOOD.replace("confidence: confirmed", "confidence: sure"))
    with pytest.raises(PriceBookError, match="acme.yml: m1 entry .*field confidence"):
        Pricer.load(load_config(tmp_path / "costbench.toml"))


def test_fx_has_no_look_ahead() -> None:
    from datetime import date

    from costbench.prices.fx import load_fx

    fx = load_fx()
    # the October 2025 average (0.1404) is only known in November: October calls use July's average (0.1395)
    assert fx.rate("CNY", date(2025, 10, 15)) == Decimal("0.1395")
    assert fx.rate("CNY", date(2025, 11, 1)) == Decimal("0.1404")
    assert fx.in_force("CNY", date(2025, 10, 15)).basis.startswith("2025-07 average")
