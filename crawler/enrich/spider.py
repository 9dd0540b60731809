"""The enrichment crawl: one recording search per stored track still missing an MBID.

It is a Scrapy crawl like any other, so each request goes through the politeness stack
(robots.txt and the site terms' documented permission for ``/ws/2/``, one request a
second for musicbrainz.org, Retry-After on 503). Each answer is scored
(:mod:`crawler.enrich.matching`) and written at once by :class:`EnrichPipeline`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.enrich.matching import Wanted, best_match, candidates
from crawler.enrich.pipeline import RecordingLookup
from crawler.enrich.store import count_pending, iter_pending
from crawler.sites.musicbrainz import recording_search_url
from crawler.spiders._base import PoliteSpider
from crawler.store.db import session_factory

_LUCENE_QUOTED = re.compile(r'(["\\])')
SEARCH_RESULTS = 10


def lucene_phrase(text: str) -> str:
    return '"' + _LUCENE_QUOTED.sub(r"\\\1", text) + '"'


def search_query(wanted: Wanted) -> str:
    """Recording title and artist, each as a phrase; the version is left to the scoring,
    which picks the remix (or the original) among the hits."""
    return f"recording:{lucene_phrase(wanted.title)} AND artist:{lucene_phrase(wanted.artist)}"


class EnrichSpider(PoliteSpider):
    name = "musicbrainz_enrich"
    custom_settings = {
        "ITEM_PIPELINES": {"crawler.enrich.pipeline.EnrichPipeline": 800},
        "INCREMENTAL_ENABLED": False,  # answers are not pages to revisit
    }

    def __init__(
        self,
        limit: int | str | None = None,
        min_score: float | str | None = None,
        retry: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.limit = int(limit) if limit not in (None, "") else None
        self.min_score_arg = float(min_score) if min_score not in (None, "") else None
        self.retry = bool(retry)
        self.bar: Any = None

    @property
    def min_score(self) -> float:
        if self.min_score_arg is not None:
            return self.min_score_arg
        return self.settings.getfloat("ENRICH_MIN_SCORE")

    async def start(self) -> AsyncIterator[Any]:
        api = str(self.settings.get("MUSICBRAINZ_API_URL"))
        factory = session_factory(self.settings["DATABASE_URL"])
        with factory() as session:
            total = count_pending(session, self.retry)
        total = min(total, self.limit) if self.limit is not None else total
        self.logger.info(
            "%d tracks to look up on %s (matches accepted at %.0f or more)",
            total,
            api,
            self.min_score,
        )
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=" tracks", file=sys.stderr, dynamic_ncols=True)
        with factory() as session:
            for wanted in iter_pending(session, self.limit, self.retry):
                yield scrapy.Request(
                    recording_search_url(api, search_query(wanted), SEARCH_RESULTS),
                    callback=self.parse_search,
                    errback=self.failed,
                    cb_kwargs={"wanted": wanted},
                    headers={"Accept": "application/json"},
                    dont_filter=True,
                )

    def parse_search(self, response: Response, wanted: Wanted) -> Iterator[Any]:
        stats = self.crawler.stats
        assert stats is not None
        self._tick()
        try:
            answer = json.loads(response.body)
        except ValueError:
            stats.inc_value("enrich/bad_json")
            self.logger.warning("Not a JSON answer for track %d: %s", wanted.track_id, response.url)
            return
        best = best_match(wanted, candidates(answer), self.min_score)
        if best is None:
            stats.inc_value("enrich/unmatched")
            self.logger.debug("No match good enough for %s - %s", wanted.artist, wanted.title)
            yield RecordingLookup(wanted.track_id)
            return
        stats.inc_value("enrich/matched")
        found = best.candidate
        self.logger.debug(
            "%s - %s is %s (score %.1f: %s)",
            wanted.artist,
            wanted.title,
            found.mbid,
            best.score,
            best.parts,
        )
        yield RecordingLookup(
            wanted.track_id, found.mbid, best.score, list(found.isrcs), found.duration_s
        )

    def failed(self, failure: Failure) -> None:
        # Not marked as looked up: the next run asks again.
        self._tick()
        self.crawler.stats.inc_value("enrich/failed")
        request = getattr(failure, "request", None)
        self.logger.warning(
            "Lookup failed: %s (%s)", getattr(request, "url", "?"), failure.getErrorMessage()
        )

    def _tick(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def closed(self, reason: str) -> None:
        if self.bar is not None:
            self.bar.close()
