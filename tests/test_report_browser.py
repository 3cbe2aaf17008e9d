"""A real headless Chromium (Debian's) opens the site from disk: no console errors, no broken links,
the leaderboard sorts, injected model output never runs, and every page fits a 390 px phone and a
1366 px laptop (no element wider than the viewport outside a scrolling box). Screenshots of each page
at both widths are kept under var/test-artifacts/screenshots/ (gitignored)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from costbench.report.site import build
from tests.conftest import ROOT
from tests.report_fixtures import build_store

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
WIDTHS = (390, 1366)

# Elements sticking out past the right edge of the viewport, ignoring those inside a box that scrolls
# sideways (wide tables) or is hidden; [tag#id.class, right edge] for each, at most 5.
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth, bad = [];
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p); if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') return true;
      if (p.tagName === 'DETAILS' && !p.open) return true; } return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1 || scrolls(el)) continue;
    bad.push([el.tagName + (el.id ? '#' + el.id : '') + (el.className && el.className.baseVal === undefined ? '.' + el.className : ''), Math.round(r.right)]);
    if (bad.length >= 5) break;
  }
  return {page: document.documentElement.scrollWidth, viewport: vw, bad: bad};
}"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browser` (scripts/ensure-chromium, needs root) and retry")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("site")
    build(build_store(tmp / "r.duckdb"), tmp / "site")
    return tmp / "site"


def test_site_in_a_real_browser(site, tmp_path, browser) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("requestfailed", lambda req: problems.append(f"failed: {req.url}"))
    for html in sorted(site.rglob("*.html")):
        page.goto(html.as_uri())
        assert page.evaluate("window.__pwned === undefined"), f"injected script ran on {html.name}"
        for href in page.eval_on_selector_all("a[href], link[href]", "els => els.map(e => e.href)"):
            if href.startswith("file://"):
                assert Path(href[7:].split("#")[0]).is_file(), f"broken link {href} on {html.name}"
    assert problems == []
    page.goto((site / "models" / "deepseek--x.html").as_uri())
    page.click("details.examples summary")  # example outputs are folded
    assert "<script>window.__pwned = true; alert(1)</script>" in page.inner_text("main")  # shown as text

    page.goto((site / "index.html").as_uri())
    first_cells = "els => els.map(e => e.getAttribute('data-v'))"
    cost_col = "#leaderboard tbody tr td:nth-child(3)"
    page.click("#leaderboard th:nth-child(3)")
    ascending = [v for v in page.eval_on_selector_all(cost_col, first_cells)]
    page.click("#leaderboard th:nth-child(3)")
    descending = [v for v in page.eval_on_selector_all(cost_col, first_cells)]
    numbers = sorted(float(v) for v in ascending if v)
    assert [float(v) for v in ascending if v] == numbers and [float(v) for v in descending if v] == numbers[::-1]
    assert len(numbers) == 2 and len(ascending) == 3  # mistral/zero solved nothing: no cost, still listed
    assert page.get_attribute("#leaderboard th:nth-child(3)", "aria-sort") == "descending"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_screen(site, browser, width) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    folder = SHOTS / str(width)
    folder.mkdir(parents=True, exist_ok=True)
    for html in sorted(site.rglob("*.html")):
        page.goto(html.as_uri())
        page.eval_on_selector_all("details", "els => els.forEach(d => d.open = true)")  # unfolded too
        found = page.evaluate(OVERFLOW_JS)
        name = str(html.relative_to(site)).replace("/", "_")
        assert found["page"] <= width and found["bad"] == [], f"{name} at {width} px: {found}"
        shot = folder / name.replace(".html", ".png")
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 5_000
    charts = page.context.pages[0]
    charts.goto((site / "index.html").as_uri())
    box = charts.eval_on_selector("figure.chart svg", "e => e.getBoundingClientRect().width")
    assert 0 < box <= width - 8  # the scatter shrinks with the page instead of being cut
