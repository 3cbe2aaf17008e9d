"""Money rules of issue 14: bad input refused before any paid call (config, price book, --resume)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from costbench.cli import main
from costbench.errors import PriceBookError
from costbench.prices.book import load_pricebook

CONFIG = """
[budget]
per_run_usd = "1.50"
per_day_usd = "3"
[providers.deepseek]
dialect = "deepseek"
base_url = "emulator"
[[models]]
provider = "deepseek"
model = "deepseek-chat"
"""

BAD_CONFIGS = [
    (CONFIG.replace('"1.50"', '"-1.50"'), "field 'budget.per_run_usd': a budget cannot be -1.50"),
    (CONFIG.replace('"3"', '"-0.01"'), "field 'budget.per_day_usd': a budget cannot be -0.01"),
    (CONFIG.replace('"emulator"', '"api.deepseek.com"'), "field 'providers.deepseek.base_url': 'api.deepseek.com' is not an http(s) URL"),
    (CONFIG.replace('"emulator"', '"ftp://api.deepseek.com"'), "is not an http(s) URL"),
    (CONFIG.replace('"emulator"', '"https://"'), "'https://' is not an http(s) URL"),
    (CONFIG.replace('"emulator"', '"emulater"'), "Did you mean: emulator?"),
]


def _cli(args: list[str]) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output
    return result.exit_code, result.output.strip().splitlines()


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS)
def test_bad_config_is_one_line_naming_file_and_field_before_any_call(tmp_path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, lines = _cli(["run", "--config", str(path)])
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: field ") and expected in lines[0], lines
    assert not (tmp_path / "var").exists()  # nothing started: no landing folder, no database


def test_good_urls_still_load(tmp_path) -> None:
    from costbench.config import load_config

    for url in ("https://api.deepseek.com", "http://127.0.0.1:8080/v1", "emulator"):
        path = tmp_path / "c.toml"
        path.write_text(CONFIG.replace('"emulator"', f'"{url}"'))
        assert load_config(path).providers["deepseek"].base_url == url


def test_resume_of_an_unknown_run_says_did_you_mean(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    (tmp_path / "var/landing/20250930T0200-abc123").mkdir(parents=True)
    (tmp_path / "var/landing/20250930T0200-abc123/run.json").write_text("{}")
    code, lines = _cli(["run", "--config", str(path), "--resume", "20250930T0200-abc12"])
    assert code == 1
    assert len(lines) == 1 and "--resume 20250930T0200-abc12: no such run" in lines[0]
    assert lines[0].endswith("Did you mean: 20250930T0200-abc123?")
    assert sorted(p.name for p in (tmp_path / "var/landing").iterdir()) == ["20250930T0200-abc123"]


PRICES = """provider: acme
models:
  m1:
    - effective_from: 2025-01-01T00:00:00Z
      currency: USD
      rates: {input_uncached: 1.10, output: 4}
      windows:
        - {name: night, start_utc: "16:30:00", end_utc: "00:30:00", rates: {input_uncached: 0.5, output: 2}}
      source: https://example.invalid/pricing
      checked_on: 2026-11-24
"""

BAD_PRICES = [
    (PRICES.replace("output: 4", "output: -4"), "m1 entry effective_from=2025-01-01 00:00:00+00:00: field rates.output: "
                                                  "a price cannot be -4"),
    (PRICES.replace("input_uncached: 0.5", "input_uncached: -0.5"), "field windows.0.rates.input_uncached: a price cannot be -0.5"),
    (PRICES.replace("checked_on: 2026-11-24", "checked_on: 2026-11-24\n      request_fee: -0.01"),
     "field request_fee: a request fee cannot be -0.01"),
    (PRICES.replace('rates: {input_uncached: 0.5, output: 2}}',
                    'rates: {input_uncached: 0.5, output: 2}}\n        - {name: early, start_utc: "00:00:00", '
                    'end_utc: "08:00:00", rates: {input_uncached: 0.7, output: 3}}'),
     "field windows: windows 'night' (16:30:00-00:30:00) and 'early' (00:00:00-08:00:00) overlap"),
    (PRICES.replace("checked_on: 2026-11-24", "checked_on: 2025-13-45"),
     "acme.yml:10: field checked_on: impossible date 2025-13-45 (month must be in 1..12)"),
    (PRICES.replace("effective_from: 2025-01-01T00:00:00Z", "effective_from: 2025-02-30"),
     "acme.yml:4: field effective_from: impossible date 2025-02-30"),
    (PRICES.replace("checked_on: 2026-11-24", 'checked_on: "2025-13-45"'), "field checked_on: Input should be a valid date"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_PRICES)
def test_bad_price_book_is_one_line_naming_file_and_field(tmp_path, text: str, expected: str) -> None:
    (tmp_path / "acme.yml").write_text(text)
    with pytest.raises(PriceBookError) as info:
        load_pricebook(tmp_path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(tmp_path / "acme.yml")), message
    assert expected in message, message


def test_windows_that_only_touch_do_not_overlap(tmp_path) -> None:
    text = PRICES.replace('rates: {input_uncached: 0.5, output: 2}}',
                          'rates: {input_uncached: 0.5, output: 2}}\n        - {name: day, start_utc: "00:30:00", '
                          'end_utc: "16:30:00", rates: {input_uncached: 0.7, output: 3}}')
    (tmp_path / "acme.yml").write_text(text)
    entry = load_pricebook(tmp_path).entries("acme", "m1")[0]
    assert [w.name for w in entry.windows] == ["night", "day"]

