"""The pages in Debian's Chromium, driven by Playwright: home, search, a set, a track, the
runs page; a screenshot of each goes to the test run's output folder
(``$CRAWLER_TEST_OUTPUT/screenshots``, else pytest's base temporary folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.render.conftest import CHROMIUM, need_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = os.environ.get("CRAWLER_TEST_OUTPUT") or tmp_path_factory.getbasetemp()
    folder = Path(base) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser_page(sqlite_store: str) -> Iterator[Any]:
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser.new_page(viewport={"width": 1000, "height": 900})
        finally:
            browser.close()


@pytest.fixture
def sqlite_url(sqlite_store: str) -> Iterator[str]:
    from crawler.serve import create_app
    from tests.serve.conftest import Served

    with Served(create_app(sqlite_store)) as url:
        yield url


def test_home_search_set_track(browser_page: Any, sqlite_url: str, screenshots: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(sqlite_url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your tracklist archive")
    expect(page.get_by_role("heading", name="Latest sets")).to_be_visible()
    page.screenshot(path=screenshots / "home.png", full_page=True)

    page.get_by_label("Search sets, tracks and DJs").fill("nova")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “nova”")
    sets = page.get_by_role("region", name="Sets (3)")
    expect(sets).to_be_visible()
    page.screenshot(path=screenshots / "search.png", full_page=True)

    sets.get_by_role("link", name="Walking Away with Nova").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Walking Away with Nova")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(2)).to_contain_text("w/")
    page.screenshot(path=screenshots / "set.png", full_page=True)

    rows.nth(0).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grey")
    expect(page.locator("main .meta").first).to_contain_text("played 6 times")
    after = page.get_by_role("region", name="Played after it")
    expect(after.locator("tbody tr").first).to_contain_text("Tale Of Us - Nova")
    expect(after.locator("tbody tr").first).to_contain_text("3")
    expect(page.get_by_role("img", name="Plays per month of Kölsch - Grey")).to_be_attached()
    page.screenshot(path=screenshots / "track.png", full_page=True)


def test_dj_and_runs_pages(browser_page: Any, sqlite_url: str, screenshots: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(sqlite_url + "/search?q=jeff+mills")
    page.get_by_role("region", name="DJs (1)").get_by_role("link", name="Jeff Mills").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jeff Mills")
    expect(page.get_by_role("region", name="Most played")).to_contain_text("The Bells")
    page.screenshot(path=screenshots / "dj.png", full_page=True)
    page.get_by_role("link", name="Crawl runs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Crawl runs")
    page.screenshot(path=screenshots / "runs.png", full_page=True)
