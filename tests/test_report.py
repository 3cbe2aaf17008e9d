"""The rendered site: pages, relative links that resolve, escaped model output, CSV/JSON, determinism."""

from __future__ import annotations

import hashlib
from decimal import Decimal
import json
from html.parser import HTMLParser
from pathlib import Path

from costbench.report.site import build, usd
from tests.report_fixtures import XSS, build_store


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def _site(tmp_path: Path) -> Path:
    out = tmp_path / "site"
    result = build(build_store(tmp_path / "r.duckdb"), out)
    assert result.index == out / "index.html" and result.pages >= 8
    return out


def test_every_relative_link_resolves_and_nothing_is_absolute(tmp_path) -> None:
    out = _site(tmp_path)
    pages = sorted(out.rglob("*.html"))
    for page in pages:
        parser = Links()
        parser.feed(page.read_text())
        for link in parser.links:
            if link.startswith("https://"):
                assert page.parent.name == "models" or page.name.startswith("index"), link  # only price sources
                continue
            assert not link.startswith(("/", "http:", "file:")), (page, link)
            assert (page.parent / link.split("#")[0]).resolve().is_file(), (page, link)


def test_leaderboard_content_and_downloads(tmp_path) -> None:
    out = _site(tmp_path)
    html = (out / "index.html").read_text()
    assert 'id="leaderboard" class="sortable"' in html and "deepseek/x" in html and "mistral/y" in html
    assert "Simulated" in html and "catalog version(s): cat1" in html
    data = json.loads((out / "data/leaderboard.json").read_text())
    assert {r["model"] for r in data} == {"x", "y", "zero"}
    assert all(isinstance(r["spend_usd"], str) for r in data)  # exact decimals, never floats
    assert (out / "data/leaderboard.csv").read_text().startswith("provider,model,")
    change = (out / "changes/deepseek--x-2025-09-29.html").read_text()
    assert "Price effect" in change and "<svg" in change


def test_model_output_is_escaped_text(tmp_path) -> None:
    out = _site(tmp_path)
    page = (out / "models/deepseek--x.html").read_text()
    assert XSS not in page
    assert "&lt;script&gt;window.__pwned = true; alert(1)&lt;/script&gt;" in page
    parser = Links()
    parser.feed(page)
    assert not any("__pwned" in s for s in parser.scripts)


def test_same_data_renders_byte_identical(tmp_path) -> None:
    store = build_store(tmp_path / "r.duckdb")
    digests = []
    for name in ("a", "b"):
        build(store, tmp_path / name)
        files = sorted((tmp_path / name).rglob("*"))
        digests.append({str(f.relative_to(tmp_path / name)): hashlib.sha256(f.read_bytes()).hexdigest()
                        for f in files if f.is_file()})
    assert digests[0] == digests[1]


def test_usd_filter_is_display_only() -> None:
    from decimal import Decimal

    assert usd(Decimal("-0.0000261234")) == "−$0.0000261"
    assert usd(None) == "—" and usd(Decimal("1234.5")) == "$1,234"


def test_zero_success_models_and_tasks_stay_listed_with_a_dash(tmp_path) -> None:
    out = _site(tmp_path)
    board = json.loads((out / "data/leaderboard.json").read_text())
    zero = next(r for r in board if r["model"] == "zero")
    assert zero["solved"] == 0 and zero["cost_per_solved_task_usd"] is None
    model = (out / "models/mistral--zero.html").read_text()      # used to crash: round() of None
    assert "mistral/zero" in model and "—" in model
    tasks = (out / "tasks/index.html").read_text()
    row = tasks[tasks.index('data-v="t9@'):].split("</tr>")[0]
    assert row.count(">—<") == 3                                # no best model, no cost, no success rate
    index = (out / "index.html").read_text()
    assert "mistral/zero" in index


def test_headline_numbers_come_from_the_data(tmp_path) -> None:
    # fixture, hand-computed: deepseek/x, 3 nights before (3 calls/night, 2 solved, $0.0019 each) and
    # 4 nights after ($0.0007 each): before = 9 x 0.0019 / 6 = $0.00285, after = 12 x 0.0007 / 8 = $0.00105
    # per solved task: -63.2 %. List prices: input 1.00 -> 0.50 (-50 %), read 0.10 -> 0.05, output 2.00 -> 0.50.
    out = _site(tmp_path)
    html = (out / "index.html").read_text()
    sentence = html[html.index('id="headline">') + 14:].split("<a ")[0]
    assert "2025\u201109\u201129" in sentence       # dates never wrap at their hyphens
    sentence = sentence.replace("\u2011", "-")
    assert sentence.startswith("DeepSeek announced −75.0\u00a0% on output (−50.0\u00a0% on input, "
                               "−50.0\u00a0% on cache reads) for x from 2025-09-29")
    assert "fell 63.2\u00a0%: price" in sentence
    change = json.loads((out / "data/price_changes.json").read_text())[0]
    shares = [Decimal(change[k]) / Decimal(change["cpst_before_usd"]) * 100
              for k in ("price_effect_usd", "cache_effect_usd", "usage_effect_usd")]
    assert f"price {_signed(shares[0])}, cache {_signed(shares[1])}, behaviour {_signed(shares[2])}." in sentence
    assert abs(sum(shares) - Decimal("-63.157894736842")) < Decimal("0.001")


def _signed(value) -> str:
    return f"{float(value):+.1f}\u00a0%".replace("-", "−")


def test_charts_are_drawn_once_and_reused_from_the_cache(tmp_path) -> None:
    from costbench.report import charts

    out = _site(tmp_path)
    cached = sorted((out / ".charts").glob("*.svg"))
    pages = "".join(p.read_text() for p in out.rglob("*.html"))
    # every cached SVG is on some page, and every page's SVG came from the cache (one file per distinct spec)
    assert cached and all(svg.read_text() in pages for svg in cached)
    assert pages.count("<svg") >= len(cached)
    marker = '<svg data-test="from-cache"'
    first = cached[0]
    first.write_text(first.read_text().replace("<svg", marker, 1))
    build(out.parent / "r.duckdb", out)                      # a rebuild takes the cached drawing as is
    assert marker in "".join(p.read_text() for p in out.rglob("*.html"))
    (out / ".charts" / "0123456789abcdef.svg").write_text("<svg/>")
    charts.draw_all([], cache=out / ".charts")               # charts no page uses are pruned
    assert not list((out / ".charts").glob("*.svg"))
