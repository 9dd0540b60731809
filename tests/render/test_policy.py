"""The rendering policy and the sub-request rules: pure decisions, tested with tables."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from scrapy.http import Headers, HtmlResponse
from scrapy.settings import Settings

from crawler.politeness.terms import SiteTerms
from crawler.render.browser import browser_problem
from crawler.render.config import (
    ALLOWED_RESOURCE_TYPES,
    DEFAULT_BROWSER_ARGS,
    RenderConfig,
    RenderConfigError,
)
from crawler.render.decision import PlainPage, decide
from crawler.render.rules import abort_reason, host_allowed

RENDER = SiteTerms("example.com", render_js=True)
PLAIN = SiteTerms("example.com", render_js=False)


@pytest.mark.parametrize(
    ("enabled", "permitted", "found", "rendered", "browser", "render", "reason"),
    [
        (True, True, False, False, True, True, "render_js = true"),
        (True, True, True, False, True, False, "plain HTML holds a tracklist"),
        (True, True, False, True, True, False, "already rendered"),
        (True, False, False, False, True, False, "site terms"),
        (False, True, False, False, True, False, "RENDER_ENABLED"),
        (True, True, False, False, False, False, "no browser"),
        (True, False, False, False, False, False, "site terms"),  # not even asked
    ],
)
def test_decide(
    enabled: bool, permitted: bool, found: bool, rendered: bool, browser: bool,
    render: bool, reason: str,
) -> None:  # fmt: skip
    verdict = decide(
        enabled=enabled, permitted=permitted, found_sets=found, rendered=rendered, browser=browser
    )
    assert verdict.render is render and reason in verdict.reason


def test_decide_never_renders_a_page_whose_sets_would_be_dropped() -> None:
    verdict = decide(
        enabled=True, permitted=True, found_sets=False, rendered=False, browser=True,
        sets_dropped=True,
    )  # fmt: skip
    assert not verdict.render and "noindex or TDM" in verdict.reason


@pytest.mark.parametrize(
    ("url", "rtype", "entry", "reason"),
    [
        ("http://example.com/api/set.json", "fetch", RENDER, None),
        ("http://example.com/api/set.json", "xhr", RENDER, None),
        ("http://example.com/app.js", "script", RENDER, None),
        ("http://example.com/site.css", "stylesheet", RENDER, None),
        ("http://example.com/frame.html", "document", RENDER, None),
        ("https://api.example.com/v1/set", "fetch", RENDER, None),  # the entry covers it
        ("https://api.example.com/v1/set", "fetch", PLAIN, "off_site"),
        ("https://api.example.com/v1/set", "fetch", None, "off_site"),
        ("http://cdn.other.net/app.js", "script", RENDER, "off_site"),
        ("http://notexample.com/app.js", "script", RENDER, "off_site"),
        ("http://example.com/cover.jpg", "image", RENDER, "resource_type"),
        ("http://example.com/mix.mp3", "media", RENDER, "resource_type"),
        ("http://example.com/deco.woff2", "font", RENDER, "resource_type"),
        ("http://example.com/ws", "websocket", RENDER, "resource_type"),
        ("http://example.com/beacon", "ping", RENDER, "resource_type"),
        ("http://cdn.other.net/font.woff", "font", RENDER, "resource_type"),
        ("ftp://example.com/app.js", "script", RENDER, "scheme"),
        ("data:text/javascript,1", "script", RENDER, "scheme"),
    ],
)
def test_abort_reason(url: str, rtype: str, entry: SiteTerms | None, reason: str | None) -> None:
    assert abort_reason(url, rtype, "example.com", entry, ALLOWED_RESOURCE_TYPES) == reason


@pytest.mark.parametrize(
    ("host", "page_host", "entry", "allowed"),
    [
        ("example.com", "example.com", None, True),
        ("EXAMPLE.com.", "example.com", None, True),
        ("www.example.com", "example.com", RENDER, True),
        ("www.example.com", "example.com", None, False),
        ("example.com", "www.example.com", RENDER, True),  # the entry's own domain
        ("evil-example.com", "example.com", RENDER, False),
    ],
)
def test_host_allowed(host: str, page_host: str, entry: SiteTerms | None, allowed: bool) -> None:
    assert host_allowed(host, page_host, entry) is allowed


def _settings(values: dict[str, object] | None = None) -> Settings:
    """The project's defaults (the add-ons apply the same), then ``values``."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(values or {}, priority="cmdline")
    return settings


def test_config_defaults_and_launch_options() -> None:
    config = RenderConfig.from_settings(_settings())
    assert config.browser_path == "/usr/bin/chromium"
    assert config.resource_types == ALLOWED_RESOURCE_TYPES
    options = config.launch_options({"args": ["--lang=en", "--no-sandbox"], "slow_mo": 5})
    assert options["executable_path"] == "/usr/bin/chromium" and options["headless"] is True
    assert options["args"] == [*DEFAULT_BROWSER_ARGS, "--lang=en"] and options["slow_mo"] == 5
    custom = RenderConfig.from_settings(_settings({"RENDER_BROWSER_PATH": "/opt/chromium"}))
    assert custom.launch_options()["executable_path"] == "/opt/chromium"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"RENDER_MAX_PAGES": 0}, "RENDER_MAX_PAGES"),
        ({"RENDER_TIMEOUT": 0}, "RENDER_TIMEOUT"),
        ({"RENDER_WAIT_UNTIL": "whenever"}, "RENDER_WAIT_UNTIL"),
        ({"RENDER_SETTLE": -1}, "RENDER_SETTLE"),
        ({"RENDER_RESOURCE_TYPES": ["script", "image"]}, "images, media and fonts"),
        ({"RENDER_MAX_PAGES": 9, "RENDER_MAX_CONTEXTS": 2}, "RENDER_MAX_CONTEXTS"),
    ],
)
def test_config_rejects(settings: dict, message: str) -> None:
    with pytest.raises(RenderConfigError, match=message):
        RenderConfig.from_settings(_settings(settings))


def test_browser_problem(tmp_path: Path) -> None:
    assert browser_problem(str(tmp_path / "chromium")) == f"no browser at {tmp_path}/chromium"
    plain = tmp_path / "not-executable"
    plain.write_text("")
    assert "not an executable" in (browser_problem(str(plain)) or "")
    assert browser_problem("sh") is None  # a bare name is looked up on PATH


def test_plain_page_keeps_what_the_browser_needs() -> None:
    """The page handed to the browser: decoded body, its headers but the transfer's own,
    Set-Cookie values kept apart; it survives pickling (disk queues, the cluster's
    frontier)."""
    response = HtmlResponse(
        "http://127.0.0.2/sets/0",
        status=200,
        body=b"<html>x</html>",
        headers=Headers({
            "Content-Type": "text/html; charset=utf-8",
            "Content-Encoding": "gzip",
            "Content-Length": "14",
            "Set-Cookie": ["a=1; Path=/", "b=2"],
            "Vary": ["Accept", "Cookie"],
        }),
    )  # fmt: skip
    page = PlainPage.of(response)
    assert page.url == "http://127.0.0.2/sets/0" and page.status == 200
    assert page.body == b"<html>x</html>"
    assert page.fulfil_headers() == {
        "content-type": "text/html; charset=utf-8",
        "set-cookie": "a=1; Path=/\nb=2",
        "vary": "Accept, Cookie",
    }
    assert pickle.loads(pickle.dumps(page)) == page
