"""Writes each enrichment answer as it comes, in its own short transaction, so that a run
stopped at any point keeps everything it was told."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler

from crawler.enrich.store import record_lookup
from crawler.store.db import session_factory


@dataclass
class RecordingLookup:
    """The answer for one stored track: the accepted recording, or none."""

    track_id: int
    mbid: str | None = None
    score: float | None = None
    isrcs: list[str] = field(default_factory=list)
    duration_s: int | None = None


class EnrichPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.factory = session_factory(crawler.settings["DATABASE_URL"])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EnrichPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, RecordingLookup):
            return item
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.factory.begin() as session:
            stored = record_lookup(
                session, item.track_id, now, item.mbid, item.score, item.isrcs, item.duration_s
            )
        assert self.stats is not None
        self.stats.inc_value("enrich/stored" if stored else "enrich/checked_only")
        return item
