"""A real headless Chromium (Debian's) opens the site from disk: no console errors, no broken links,
the leaderboard sorts, injected model output never runs, and a screenshot is saved."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from costbench.report.site import build
from tests.report_fixtures import build_store

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/ensure-chromium (make test does) and retry")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def test_site_in_a_real_browser(tmp_path, browser) -> None:
    site = tmp_path / "site"
    build(build_store(tmp_path / "r.duckdb"), site)
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
    assert "<script>window.__pwned = true; alert(1)</script>" in page.inner_text("main")  # shown as text

    page.goto((site / "index.html").as_uri())
    first_cells = "els => els.map(e => e.getAttribute('data-v'))"
    cost_col = "#leaderboard tbody tr td:nth-child(3)"
    page.click("#leaderboard th:nth-child(3)")
    ascending = [float(v) for v in page.eval_on_selector_all(cost_col, first_cells)]
    page.click("#leaderboard th:nth-child(3)")
    descending = [float(v) for v in page.eval_on_selector_all(cost_col, first_cells)]
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True) and len(ascending) == 2
    assert page.get_attribute("#leaderboard th:nth-child(3)", "aria-sort") == "descending"
    shot = tmp_path / "leaderboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
