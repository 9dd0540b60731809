"""The browser's flags, read back from the running Chromium's own command line.

Chromium keeps only the last ``--enable-features`` and ``--disable-features`` it is given,
and Playwright passes its own first; ``RENDER_BROWSER_ARGS`` repeats Playwright's lists so
that adding ours loses none of theirs. A Playwright upgrade that changes its lists fails
here, not quietly in a crawl. And the memory flags do what they are there for: every page,
of every host, in one renderer process, with no omnibox pop-up page beside them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from crawler.render.config import DEFAULT_BROWSER_ARGS
from tests.render.conftest import CHROMIUM, need_chromium
from tests.render.jsite import js_site

pytestmark = pytest.mark.browser


def _chromium_processes() -> Iterator[tuple[int, list[str]]]:
    """(pid, command line) of this test's Chromium processes (descendants of this one)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            parents[int(entry)] = int(stat[stat.rfind(b")") + 2 :].split()[1])
    me = os.getpid()
    for pid in parents:
        ancestor = parents.get(pid)
        while ancestor is not None and ancestor not in (me, 0, 1):
            ancestor = parents.get(ancestor)
        if ancestor != me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                # Chromium rewrites its children's command line into one string
                args = f.read().decode().replace("\0", " ").split()
        except OSError:
            continue
        if "chromium" in args[0]:
            yield pid, args


def _features(args: list[str], switch: str) -> set[str]:
    values = [a.split("=", 1)[1] for a in args if a.startswith(f"--{switch}=")]
    return set(values[-1].split(",")) if values else set()


async def _launch(args: list[str], hosts: int = 0) -> list[list[str]]:
    """The command lines of Chromium's processes with ``args``, ``hosts`` pages open."""
    from playwright.async_api import async_playwright

    sites = [js_site(f"127.0.0.{i + 2}") for i in range(hosts)]
    for site in sites:
        site.start()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
            context = await browser.new_context()
            for site in sites:
                page = await context.new_page()
                await page.goto(site.url("/sets/0"), wait_until="load")
            seen = [args for _pid, args in _chromium_processes()]
            await browser.close()
            return seen
    finally:
        for site in sites:
            site.stop()


def _browser(processes: list[list[str]]) -> list[str]:
    return next(a for a in processes if not any(x.startswith("--type=") for x in a))


def test_playwrights_own_features_are_kept() -> None:
    need_chromium()
    playwright = _browser(asyncio.run(_launch([])))
    ours = list(DEFAULT_BROWSER_ARGS)
    for switch in ("enable-features", "disable-features"):
        lost = _features(playwright, switch) - _features(ours, switch)
        assert not lost, f"RENDER_BROWSER_ARGS drops Playwright's --{switch}: {sorted(lost)}"


def test_pages_of_every_host_share_one_renderer_process() -> None:
    need_chromium()
    processes = asyncio.run(_launch(list(DEFAULT_BROWSER_ARGS), hosts=3))
    types = [next((x for x in a if x.startswith("--type=")), "browser") for a in processes]
    assert types.count("--type=renderer") == 1, types
    assert "--type=gpu-process" not in types and "--type=zygote" not in types
    network = "--utility-sub-type=network.mojom.NetworkService"
    assert not [a for a in processes if network in a]  # in the browser process
