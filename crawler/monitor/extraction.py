"""Extraction health: noticing that a site changed its markup.

When a site redesigns its pages, a crawler keeps fetching them happily and stores nothing:
the failure users of every tracklist scraper report first. Per site and run, the crawl
counts the pages *expected* to hold a set — every page of a host that has a site-specific
page class, and on any site the pages that yielded a set last time (the store knows) — and
how many of them now gave no set, or a set without tracks. Above a share of them
(``EXTRACTION_ALERT_RATIO``), with enough pages to judge (``EXTRACTION_ALERT_MIN_PAGES``),
the site raises an alarm. The counts are stats (``extraction/pages/<site>``,
``extraction/empty/<site>``), so the decision here is a pure function of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EMPTY",
    "PAGES",
    "SiteAlarm",
    "SiteHealth",
    "extraction_alarms",
    "site_health",
    "site_of",
]

PAGES = "extraction/pages/"
"""Stat prefix: pages expected to hold a set, per site."""
EMPTY = "extraction/empty/"
"""Stat prefix: of those, pages that gave no set or a set without tracks."""


@dataclass(frozen=True)
class SiteHealth:
    site: str
    expected: int
    empty: int

    @property
    def ratio(self) -> float:
        return self.empty / self.expected if self.expected else 0.0


@dataclass(frozen=True)
class SiteAlarm(SiteHealth):
    @property
    def message(self) -> str:
        return (
            f"{self.site}: {self.empty} of {self.expected} set pages gave no tracklist"
            " — the site's markup may have changed"
        )


def site_of(host: str) -> str:
    """The name a site goes by in stats and metrics: its host, without ``www.``."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def site_health(stats: Mapping[str, Any]) -> Iterator[SiteHealth]:
    """Each site's counts, in name order."""
    for key in sorted(k for k in stats if k.startswith(PAGES)):
        site = key[len(PAGES) :]
        yield SiteHealth(site, int(stats[key]), int(stats.get(EMPTY + site, 0)))


def extraction_alarms(
    stats: Mapping[str, Any], ratio: float = 0.2, min_pages: int = 10
) -> list[SiteAlarm]:
    """Sites where more than ``ratio`` of at least ``min_pages`` expected pages gave nothing."""
    return [
        SiteAlarm(h.site, h.expected, h.empty)
        for h in site_health(stats)
        if h.expected >= min_pages and h.ratio > ratio
    ]
