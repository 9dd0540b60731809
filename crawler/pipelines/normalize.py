"""Normalizes every set, whatever produced it, before it is stored or exported."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import DJSet, carry_provenance, tracks_seen
from crawler.logsafe import printable
from crawler.normalize import normalize_set

logger = logging.getLogger(__name__)


def mark_normalized(item: DJSet) -> None:
    """Say that ``item`` already went through ``normalize_set`` (an import's reader
    processes do that work in parallel), so that this pipeline passes it on as it is."""
    item.notes.normalized = True


class NormalizePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.max_tracks = crawler.settings.getint("MAX_TRACKS_PER_SET")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, DJSet):
            return item
        seen = tracks_seen(item)
        if seen > self.max_tracks > 0:
            self._cut(item, seen)
        if item.notes.normalized:  # an import's reader process did it already
            return item
        try:
            return carry_provenance(item, normalize_set(item))
        except Exception as exc:
            # A normalizer bug must not lose the set silently: say which one, keep crawling.
            logger.exception("Could not normalize the set from %s", printable(item.url))
            self.stats.inc_value("normalize/errors")
            raise DropItem(f"normalization failed: {exc!r}") from exc

    def _cut(self, item: DJSet, seen: int) -> None:
        """No real set has thousands of tracks: a list that long is a page or a file that
        is not one set (or is hostile), and storing it whole costs memory and time."""
        logger.warning(
            "%s has %d tracks, more than MAX_TRACKS_PER_SET (%d): the rest are left out",
            printable(item.url),
            seen,
            self.max_tracks,
        )
        self.stats.inc_value("normalize/tracks_left_out", seen - self.max_tracks)
        del item.tracks[self.max_tracks :]
