"""ApiSpider: what the JSON-API spiders share, held once for all of them."""

from __future__ import annotations

import logging

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.spiders._base import ApiSpider
from crawler.spiders.kexp import KexpSpider
from crawler.spiders.mixesdb import MixesDBSpider
from crawler.spiders.musicbrainz import MusicBrainzSpider
from crawler.spiders.setlistfm import SetlistFmSpider


def _spider(cls: type[ApiSpider], **settings: str) -> ApiSpider:
    crawler = get_crawler(settings_dict={cls.api_setting: "http://127.0.0.2/api/", **settings})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return cls.from_crawler(crawler, **({"show": "1"} if cls is KexpSpider else {}))


def _answer(body: bytes) -> TextResponse:
    return TextResponse("http://127.0.0.2/api/x", body=body, encoding="utf-8")


@pytest.mark.parametrize("cls", [KexpSpider, MusicBrainzSpider, MixesDBSpider])
def test_an_answer_that_is_not_a_json_object_is_counted_and_logged(
    cls: type[ApiSpider], caplog: pytest.LogCaptureFixture
) -> None:
    spider = _spider(cls)
    with caplog.at_level(logging.WARNING):
        assert spider._json(_answer(b"<html>busy</html>")) is None
        assert spider._json(_answer(b"[1, 2]")) is None
    assert spider._json(_answer(b'{"ok": 1}')) == {"ok": 1}
    assert spider.crawler.stats.get_value(f"{spider.name}/bad_json") == 2
    assert f"Not a {cls.api_label} JSON answer: http://127.0.0.2/api/x" in caplog.text


def test_a_failed_request_is_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    spider = _spider(MusicBrainzSpider)
    failure = Failure(ConnectionRefusedError("refused"))
    failure.request = Request("http://127.0.0.2/api/release/x")  # type: ignore[attr-defined]
    with caplog.at_level(logging.WARNING):
        spider.failed(failure)
    assert spider.crawler.stats.get_value("musicbrainz/failed") == 1
    assert "MusicBrainz request failed: http://127.0.0.2/api/release/x" in caplog.text


def test_requests_ask_for_json_at_the_configured_api_and_setlistfm_adds_its_key() -> None:
    kexp = _spider(KexpSpider)
    assert kexp.api == "http://127.0.0.2/api"
    request = kexp._get(f"{kexp.api}/shows/1/", kexp.parse)
    assert request.headers[b"Accept"] == b"application/json"
    assert request.errback == kexp.failed
    setlistfm = _spider(SetlistFmSpider, SETLISTFM_API_KEY="k-123")
    assert setlistfm.api_headers() == {"Accept": "application/json", "x-api-key": "k-123"}
