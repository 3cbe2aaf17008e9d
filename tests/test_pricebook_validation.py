"""Bad price-book input (issue 14): one line naming the file, line and field, refused at load."""

from __future__ import annotations

import pytest

from costbench.errors import PriceBookError
from costbench.prices.book import load_pricebook


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
      confidence: unverified
      evidence: a synthetic price book written for this test
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
