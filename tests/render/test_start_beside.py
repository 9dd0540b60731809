"""Playwright's driver starts beside the crawl: scrapy-playwright awaits its provider's
``start()`` when the engine starts, so a provider that started the driver there held the
crawl's first request for the driver's start-up. Ours returns at once; the browser's
launch waits for the driver instead, and a crawl that never renders still closes it."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.settings import Settings
from scrapy_playwright.handler import Config

from crawler.render.renderer import _StartBeside
from tests.render.conftest import CHROMIUM, need_chromium

pytestmark = pytest.mark.browser


def _provider() -> _StartBeside:
    config = Config.from_settings(Settings({"PLAYWRIGHT_BROWSER_TYPE": "chromium"}))
    config.launch_options = {"headless": True, "executable_path": CHROMIUM}
    return _StartBeside(config)


def test_start_returns_before_the_driver_is_up_and_launch_waits_for_it() -> None:
    need_chromium()

    async def run() -> None:
        provider = _provider()
        await provider.start()
        assert provider.playwright is None  # the driver is still starting
        browser = await provider.launch_browser()
        try:
            assert browser.is_connected()
        finally:
            await browser.close()
            await provider.close()

    asyncio.run(run())


def test_a_crawl_that_never_launches_closes_the_driver() -> None:
    async def run() -> None:
        provider = _provider()
        await provider.start()
        await provider.close()
        assert provider._starting is not None and provider._starting.done()

    asyncio.run(run())
