"""What a crawl came to: ``ok``, ``partial``, ``failed`` or ``refused``, from its stats alone.

One pure function over the stats, so that the crawl process (its exit code and its
``crawl_runs`` row), the schedule runner and the tests all judge a run the same way.
``finish_reason`` stays Scrapy's: a crawl whose every request failed still "finished".

The rules, first match wins (docs/monitoring.md shows the same table; a test keeps the two
in step):

========  ==================================================================================
outcome   when
========  ==================================================================================
failed    sets could neither be stored nor kept in the spool (a full disk)
failed    a feed could not be written
failed    sets are left unstored and none was stored
partial   a site's daily request limit (site terms) ran out
ok        a cluster worker fetched nothing and nothing failed: the other workers took every request
partial   a cluster worker was stopped before it got a share of the requests
failed    nothing was fetched or read, and requests failed or none was made
refused   nothing was fetched or read: robots.txt or the site terms said no to every request
partial   sets are left unstored (some were stored)
partial   requests failed, pages could not be parsed or files could not be read
partial   a site's set pages gave no tracklist (the extraction alarm)
partial   the crawl was stopped before it finished
ok        everything else
========  ==================================================================================

A *failed request* is a download error after retries, an error status after retries (5xx,
429, and 4xx other than 404 and 410, which say a set is gone), or a request refused because
its host's robots.txt could never be fetched (RFC 9309 makes that "disallow all", but it is
the crawl that failed, not the site that said no).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crawler.monitor.extraction import SiteAlarm, extraction_alarms

__all__ = [
    "EXIT_CODES",
    "RULES",
    "SUCCESSES",
    "Figures",
    "Outcome",
    "Rule",
    "Verdict",
    "crawl_outcome",
    "figures_from_stats",
]


class Outcome(StrEnum):
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    REFUSED = "refused"


EXIT_CODES: Mapping[Outcome, int] = {
    Outcome.OK: 0,
    Outcome.FAILED: 1,
    Outcome.PARTIAL: 3,
    Outcome.REFUSED: 4,
}
"""Exit code of ``scrapy crawl`` / ``crawler crawl`` per outcome (2 stays Scrapy's usage error)."""

SUCCESSES = frozenset({Outcome.OK, Outcome.PARTIAL})
"""Outcomes that count as a successful run when staleness is judged."""

_FINISHED = ("finished", "closespider_")
"""Finish reasons of a crawl that ran to its end (``CLOSESPIDER_*`` limits are asked for)."""


@dataclass(frozen=True)
class Figures:
    """The few numbers the rules look at, gathered from a crawl's stats."""

    fetched: int = 0
    """Page requests answered (any status, 304 included), files imported."""
    failed: int = 0
    """Failed requests (see the module docstring), callback errors, unreadable files and
    folders (files skipped as not exports are neither read nor failed)."""
    refused: int = 0
    """Requests refused by an answered robots.txt, by the site terms, or by a Crawl-delay
    above the maximum."""
    stored: int = 0
    unstored: int = 0
    lost: int = 0
    """Sets neither stored nor spooled (``store/lost``): their pages were left unrecorded,
    so the next crawl fetches them again."""
    feeds_failed: int = 0
    """Feeds (``-o``/``-O``, ``FEEDS``) that could not be written in full."""
    stopped: bool = False
    quota_reached: int = 0
    """Sites whose daily limit (site terms) ran out during the crawl: come back tomorrow."""
    cluster_requests: int = 0
    """Requests the whole cluster took in (``cluster/crawl_requests``, a cluster worker's
    look at the shared filter when it closes): a worker that got no share did its part."""
    cluster_worker: bool = False
    """The crawl was one worker of a cluster (it looked at the shared filter when it closed,
    even if it found nothing there yet)."""
    alarms: tuple[SiteAlarm, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Rule:
    outcome: Outcome
    when: str
    applies: Callable[[Figures], bool]


RULES: tuple[Rule, ...] = (
    Rule(
        Outcome.FAILED,
        "sets could neither be stored nor kept in the spool (a full disk)",
        lambda f: f.lost > 0,
    ),
    Rule(Outcome.FAILED, "a feed could not be written", lambda f: f.feeds_failed > 0),
    Rule(
        Outcome.FAILED,
        "sets are left unstored and none was stored",
        lambda f: f.unstored > 0 and f.stored == 0,
    ),
    Rule(
        Outcome.PARTIAL,
        "a site's daily request limit (site terms) ran out",
        lambda f: f.quota_reached > 0,
    ),
    Rule(
        Outcome.OK,
        "a cluster worker fetched nothing and nothing failed: the other workers took every request",
        lambda f: (
            f.cluster_requests > 0
            and f.fetched == 0
            and f.failed == 0
            and f.refused == 0
            and not f.stopped
        ),
    ),
    Rule(
        Outcome.PARTIAL,
        "a cluster worker was stopped before it got a share of the requests",
        lambda f: (
            f.cluster_worker and f.fetched == 0 and f.failed == 0 and f.refused == 0 and f.stopped
        ),
    ),
    Rule(
        Outcome.FAILED,
        "nothing was fetched or read, and requests failed or none was made",
        lambda f: f.fetched == 0 and (f.failed > 0 or f.refused == 0),
    ),
    Rule(
        Outcome.REFUSED,
        "nothing was fetched or read: robots.txt or the site terms said no to every request",
        lambda f: f.fetched == 0,
    ),
    Rule(Outcome.PARTIAL, "sets are left unstored (some were stored)", lambda f: f.unstored > 0),
    Rule(
        Outcome.PARTIAL,
        "requests failed, pages could not be parsed or files could not be read",
        lambda f: f.failed > 0,
    ),
    Rule(
        Outcome.PARTIAL,
        "a site's set pages gave no tracklist (the extraction alarm)",
        lambda f: bool(f.alarms),
    ),
    Rule(Outcome.PARTIAL, "the crawl was stopped before it finished", lambda f: f.stopped),
    Rule(Outcome.OK, "everything else", lambda f: True),
)


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    why: str
    figures: Figures

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def _int(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def figures_from_stats(
    stats: Mapping[str, Any],
    reason: str = "finished",
    alert_ratio: float = 0.2,
    alert_min_pages: int = 10,
) -> Figures:
    def n(key: str) -> int:
        return _int(stats, key)

    unreachable = n("politeness/refused/robots_unreachable")
    imported = n("import/files") - n("import/errors") + n("import/cut")  # cut: read in part
    return Figures(
        fetched=n("crawl/pages/fetched") + n("incremental/not_modified") + imported,
        failed=(
            n("crawl/pages/failed")
            + unreachable
            + n("spider_exceptions/count")
            + n("import/errors")
            + n("import/folders_skipped")  # folders not read: no file, but a failure
        ),
        refused=(
            n("politeness/refused/robots")
            - unreachable
            + n("politeness/refused/terms")
            + n("politeness/refused/host_skipped")
        ),
        stored=n("store/created") + n("store/updated") + n("store/unchanged") + n("store/linked"),
        unstored=n("store/unstored"),
        lost=n("store/lost"),
        feeds_failed=sum(
            _int(stats, key) for key in stats if key.startswith("feedexport/failed_count/")
        ),
        stopped=not reason.startswith(_FINISHED),
        quota_reached=n("politeness/quota/reached"),
        cluster_requests=n("cluster/crawl_requests"),
        cluster_worker="cluster/crawl_requests" in stats,
        alarms=tuple(extraction_alarms(stats, alert_ratio, alert_min_pages)),
    )


def crawl_outcome(
    stats: Mapping[str, Any],
    reason: str = "finished",
    alert_ratio: float = 0.2,
    alert_min_pages: int = 10,
) -> Verdict:
    """The outcome of a crawl from its stats and Scrapy's finish reason (rules above)."""
    figures = figures_from_stats(stats, reason, alert_ratio, alert_min_pages)
    rule = next(r for r in RULES if r.applies(figures))
    return Verdict(rule.outcome, rule.when, figures)
