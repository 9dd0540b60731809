"""Scrapy add-ons: the crawler's politeness and its tracklist store, one line in any project.

``ADDONS = {"crawler.addons.Politeness": 100, "crawler.addons.Tracklists": 200}`` in a
project's settings (or a spider's ``custom_settings``, or ``-s ADDONS=...``) wires the same
components, with the same defaults, as the project's own crawls: the project's settings
module is these add-ons plus a few project specifics. The defaults themselves are defined
once, in :mod:`crawler.settings`; an add-on copies the ones it owns at ``addon`` priority,
so whatever the user set explicitly wins, except where it would make the crawl impolite:
then :class:`Politeness` refuses at start-up, in one line.

The spiders shipped in :mod:`crawler.spiders` bring these add-ons in their own
``update_settings`` (:func:`bring_addons`), so running one of them, or a subclass with
``scrapy runspider``, anywhere, can never leave politeness behind.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.misc import load_object
from sqlalchemy.engine import make_url

from crawler import settings as defaults
from crawler.extras import require
from crawler.logsafe import install_secrets_filter
from crawler.wiring import Parts

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.incremental.book import PageBook
    from crawler.politeness.stack import PolitenessStack

__all__ = [
    "POLITENESS_COMPONENTS",
    "POLITENESS_SETTINGS",
    "TRACKLISTS_COMPONENTS",
    "TRACKLISTS_SETTINGS",
    "Politeness",
    "PolitenessRefused",
    "Tracklists",
    "bring_addons",
    "impolite_settings",
]

logger = logging.getLogger(__name__)

_ADDON = SETTINGS_PRIORITIES["addon"]
_STOCK_ROBOTS = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"
_STOCK_UA = "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware"
_PACED_HANDLER = "crawler.politeness.handler.PoliteDownloadHandler"

POLITENESS_SETTINGS = (
    # identity and safety
    "USER_AGENT", "CONTACT", "ALLOW_PRIVATE_HOSTS", "ALLOWED_PRIVATE_NETWORKS",
    # bounds: sizes, times, retries, links
    "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE", "DOWNLOAD_TIMEOUT", "RETRY_TIMES",
    "SHUTDOWN_DOWNLOAD_GRACE", "MAX_LINKS_PER_PAGE",
    # robots.txt, pace, Retry-After, what pages say, site terms, the run's record
    "ROBOTSTXT_OBEY", "ROBOTSTXT_CACHE_SECONDS", "ROBOTSTXT_RETRY_DELAY", "ROBOTSTXT_RETRY_TIMES",
    "ROBOTSTXT_MAX_BYTES", "ROBOTSTXT_MAX_REDIRECTS",
    "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "SCHEDULER_PRIORITY_QUEUE",
    "DOWNLOAD_DELAY", "DOWNLOAD_DELAY_JITTER", "CRAWL_DELAY_DEFAULT", "CRAWL_DELAY_MAX",
    "PACE_JITTER", "PACE_LATENCY_RATIO", "PACE_FACTOR_MAX", "PACE_BACKOFF_START", "PACE_CLOCK",
    "PACE_HTTP_HANDLER", "RETRY_AFTER_MAX", "RETRY_AFTER_TIMES", "SITE_POLICY_FILE",
    "ROBOTS_META_OBEY", "NOINDEX_DROPS_ITEMS", "TDM_RESERVATION_DROPS_ITEMS",
    "TDMREP_FETCH_WELLKNOWN",
    # the archive: every response as received, and what permitted it
    "WARC_DIR", "WARC_MAX_BYTES",
    # JavaScript rendering: the paced handler's inner handler decides
    "RENDER_ENABLED", "RENDER_BROWSER_PATH", "RENDER_MAX_PAGES", "RENDER_MAX_CONTEXTS",
    "RENDER_TIMEOUT", "RENDER_WAIT_UNTIL", "RENDER_BROWSER_ARGS", "RENDER_RESOURCE_TYPES",
    "RENDER_PLAIN_HANDLER", "RENDER_CONTEXT_PER_HOST", "RENDER_SETTLE",
)  # fmt: skip
"""The settings whose defaults (in :mod:`crawler.settings`) :class:`Politeness` applies."""

POLITENESS_COMPONENTS: dict[str, dict[str, int | str | None]] = {
    "DOWNLOAD_HANDLERS": {"http": _PACED_HANDLER, "https": _PACED_HANDLER},
    "DOWNLOADER_MIDDLEWARES": {
        _STOCK_ROBOTS: None,  # replaced (RFC 9309)
        _STOCK_UA: None,  # replaced (identity)
        "crawler.politeness.useragent.IdentityMiddleware": 20,  # UA on all; contact required
        "crawler.politeness.private_hosts.PrivateHostsMiddleware": 30,  # no private addresses
        "crawler.politeness.terms.SiteTermsMiddleware": 40,  # site terms refuse before sending
        "crawler.politeness.robots.RobotsPolicy": 100,  # robots.txt, RFC 9309
        "crawler.politeness.retry_after.RetryAfterMiddleware": 560,  # 429/503 pause the host
        "crawler.archive.middleware.WarcArchiver": 990,  # WARC_DIR: responses as received
    },
    "SPIDER_MIDDLEWARES": {
        "crawler.politeness.meta_robots.MetaRobotsMiddleware": 800,  # nofollow / noindex pages
        "crawler.politeness.content_usage.ContentUsageMiddleware": 805,  # AI-use prefs kept
        "crawler.politeness.tdm.TdmRepMiddleware": 810,  # TDMRep reservations
    },
    "EXTENSIONS": {
        "crawler.politeness.summary.PolitenessSummary": 0,  # end-of-crawl block
    },
}
"""What :class:`Politeness` switches on; each entry must stay as it is (see ``_refusals``)."""

TRACKLISTS_SETTINGS = (
    "DATABASE_URL", "STORE_BATCH_SIZE", "STORE_FLUSH_SECONDS", "CONCURRENT_ITEMS", "SPOOL_DIR",
    "STORE_RETRY_MAX_DELAY", "MAX_TRACKS_PER_SET", "FEED_EXPORT_ENCODING", "LOG_FORMATTER",
    "GC_THRESHOLD",
    "IMPORT_MAX_FILE_BYTES", "IMPORT_PROCESSES", "IMPORT_MAX_DEPTH",
    "INCREMENTAL_ENABLED", "INCREMENTAL_CACHE_MAX", "INCREMENTAL_FLUSH_SECONDS",
    "CRAWL_NAME", "CRAWL_LOCK_OWNER", "CRAWL_LOCK_HEARTBEAT", "DEPTH_PRIORITY",
    # the shipped MusicBrainz spider and enrichment
    "MUSICBRAINZ_API_URL", "ENRICH_MIN_SCORE",
    # the shipped spiders of other sources that say yes
    "KEXP_API_URL", "SETLISTFM_API_URL", "SETLISTFM_API_KEY", "MIXESDB_API_URL",
    # unattended crawls: outcome, extraction alarm, progress, metrics
    "EXTRACTION_ALERT_RATIO", "EXTRACTION_ALERT_MIN_PAGES", "PROGRESS_BAR",
    "PROGRESS_LOG_SECONDS", "METRICS_PORT", "CRAWL_RUNS_RECORD",
)  # fmt: skip
"""The settings whose defaults (in :mod:`crawler.settings`) :class:`Tracklists` applies."""

TRACKLISTS_COMPONENTS: dict[str, dict[str, int | str | None]] = {
    "ITEM_PIPELINES": {
        "crawler.pipelines.normalize.NormalizePipeline": 100,
        "crawler.pipelines.store.StorePipeline": 800,
    },
    "FEED_EXPORTERS": {"csv": "crawler.feeds.TrackCsvItemExporter"},  # a row per track entry
    "DOWNLOADER_MIDDLEWARES": {
        "crawler.monitor.requests.RequestOutcomes": 540,  # outside retries: final answers
        "crawler.incremental.middleware.ConditionalRequestMiddleware": 950,  # by the downloader
    },
    "SPIDER_MIDDLEWARES": {
        "crawler.incremental.recorder.PageRecorder": 10,  # outermost: sees the final output
        "crawler.monitor.watch.ExtractionWatch": 900,  # next to the spider: layout changes
    },
    "EXTENSIONS": {
        # the garbage collector paced for a crawl; first, so its counts reach the run's row
        "crawler.memory.CollectorPace": -1,
        "crawler.monitor.extension.CrawlOutcome": 0,  # outcome, summary line, metrics
        "crawler.monitor.progress.CrawlProgress": 0,  # live line or log lines
        "crawler.monitor.runs.CrawlRunRecord": 0,  # the run's crawl_runs row
        "crawler.incremental.jobdir.JobDirGuard": 0,  # resume a stopped JOBDIR, not a dead one
        "crawler.schedule.heartbeat.LockHeartbeat": 0,  # scheduled crawls keep their lock alive
        # Scrapy's feed exporter, with a feed that cannot be written failing the crawl
        "scrapy.extensions.feedexport.FeedExporter": None,
        "crawler.monitor.feeds.CheckedFeedExporter": 0,
    },
}
"""What :class:`Tracklists` switches on: normalize and store, the CSV feed, incremental
crawls (they need the store's page records) and the schedule's lock heartbeat."""


class PolitenessRefused(ValueError):
    """Settings that would make a crawl impolite; the crawl does not start."""


def _name(component: Any) -> str | None:
    if isinstance(component, str):
        return component.rsplit(".", 1)[-1]
    return getattr(component, "__name__", None)


def _same(a: Any, b: Any) -> bool:
    """Component keys may be import paths or the objects themselves. Two paths are
    imported (one may re-export the other) only when they name classes of one name, so
    that comparing does not import every component listed, disabled ones too."""
    if a == b:
        return True
    name_a, name_b = _name(a), _name(b)
    if name_a is not None and name_b is not None and name_a != name_b:
        return False
    try:
        return bool(a == b or load_object(a) is load_object(b))
    except (ImportError, NameError, ValueError, TypeError, AttributeError):
        return False


def _key_in(components: BaseSettings, key: str) -> str | None:
    return next((k for k in components if _same(k, key)), None)


def _apply(settings: BaseSettings, names: tuple[str, ...], components: dict[str, Any]) -> None:
    for name in names:
        settings.set(name, getattr(defaults, name), priority="addon")
    for name, entries in components.items():
        current = settings[name]
        if not isinstance(current, BaseSettings):  # a plain value someone set: keep it
            current = BaseSettings(current or {}, priority=settings.getpriority(name) or 0)
            settings.set(name, current, priority=settings.getpriority(name) or 0)
        for key, value in entries.items():
            present = _key_in(current, key)
            # A user's own entry (its order, say) wins: _refusals checks what it is.
            if present is None or (current.getpriority(present) or 0) < _ADDON:
                current.set(present or key, value, priority="addon")


def _refusals(settings: BaseSettings) -> list[str]:
    """Every user setting, after the add-on's, that would make the crawl impolite."""
    problems = []
    if settings.getbool("AUTOTHROTTLE_ENABLED"):
        problems.append("AUTOTHROTTLE_ENABLED on top of the per-host pace (turn it off)")
    if settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") != 1:
        problems.append(
            f"CONCURRENT_REQUESTS_PER_DOMAIN = {settings['CONCURRENT_REQUESTS_PER_DOMAIN']}"
            " (must be 1: one request at a time per host)"
        )
    if settings.getint("CONCURRENT_REQUESTS_PER_IP") not in (0, 1):
        problems.append("CONCURRENT_REQUESTS_PER_IP above 1")
    middlewares = settings["DOWNLOADER_MIDDLEWARES"]
    stock = _key_in(middlewares, _STOCK_ROBOTS)
    if stock is not None and middlewares[stock] is not None:
        problems.append(
            "Scrapy's RobotsTxtMiddleware enabled (the add-on replaces it; set it to None)"
        )
    for name, entries in POLITENESS_COMPONENTS.items():
        current = settings[name]
        for key, value in entries.items():
            present = _key_in(current, key)
            if value is not None and (present is None or not _same(current[present], value)):
                if name == "DOWNLOAD_HANDLERS":
                    problems.append(
                        f"DOWNLOAD_HANDLERS[{key!r}] = {current.get(key)!r} bypasses the paced "
                        "handler (give it as PACE_HTTP_HANDLER instead)"
                    )
                elif present is None or current[present] is None:
                    problems.append(f"{name}: {key} disabled")
    from crawler.politeness.config import PolitenessConfig, PolitenessConfigError

    try:  # the figures themselves (a negative or nan gap, robots.txt limits below RFC 9309)
        PolitenessConfig.from_settings(settings)
    except PolitenessConfigError as exc:
        problems.append(str(exc))
    return problems


def impolite_settings(settings: BaseSettings) -> list[str]:
    """The reasons :class:`Politeness` would refuse these settings (empty: none)."""
    return _refusals(settings)


class Politeness:
    """The whole politeness stack: identity with contact, private-address guard, site
    terms, RFC 9309 robots.txt, the paced download handler and host-aware frontier,
    Retry-After, meta robots, TDMRep, AI-use preferences kept with the sets, the WARC
    archive of what was fetched and what permitted it (``WARC_DIR``) and the end-of-crawl
    summary, with polite defaults.
    """

    stack: PolitenessStack | None = None
    parts: Parts = {}
    """The crawl's politeness objects, for its components (:mod:`crawler.wiring`)."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Politeness:
        """Builds the crawl's politeness objects (config, terms, pace, clock, rendering),
        each on first use, for the components it switches on (``politeness/stack.py``)."""
        from crawler.politeness.stack import PolitenessStack
        from crawler.render.parts import RenderParts

        addon = cls(crawler)
        addon.stack = stack = PolitenessStack(crawler)
        addon.parts = {**stack.parts(), **RenderParts(crawler, stack).parts()}
        return addon

    @classmethod
    def update_pre_crawler_settings(cls, settings: BaseSettings) -> None:
        # Rendering runs Playwright on asyncio; Scrapy 2.13+ defaults to this reactor
        # already, so only a project that asked for another one keeps it (and renders not).
        settings.set("TWISTED_REACTOR", defaults.TWISTED_REACTOR, priority="addon")

    def update_settings(self, settings: BaseSettings) -> None:
        install_secrets_filter()  # before Scrapy logs the settings: no password shown
        _apply(settings, POLITENESS_SETTINGS, POLITENESS_COMPONENTS)
        if problems := _refusals(settings):
            message = "crawler.addons.Politeness refuses to start: " + "; ".join(problems)
            logger.error(message)
            raise PolitenessRefused(message)


class Tracklists:
    """Normalization, the store pipeline (``DATABASE_URL``), the track-per-row CSV feed,
    incremental crawls and the shipped spiders (``scrapy crawl sets`` in any project that
    enables it). Works with or without :class:`Politeness`."""

    parts: Parts = {}
    """The crawl's page book, for the incremental components (:mod:`crawler.wiring`)."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Tracklists:
        from crawler.incremental.book import PageBook

        addon = cls(crawler)
        addon.parts = {PageBook: lambda: addon.book}
        return addon

    @cached_property
    def book(self) -> PageBook:
        """What the store knows of pages, shared by the incremental components."""
        from crawler.incremental.book import PageBook
        from crawler.incremental.config import IncrementalConfig

        if self.crawler is None:
            raise RuntimeError("the Tracklists add-on was built without a crawler")
        return PageBook(IncrementalConfig.from_settings(self.crawler.settings))

    @classmethod
    def update_pre_crawler_settings(cls, settings: BaseSettings) -> None:
        modules = settings.getlist("SPIDER_MODULES")
        if "crawler.spiders" not in modules:
            priority = settings.getpriority("SPIDER_MODULES") or 0
            settings.set("SPIDER_MODULES", [*modules, "crawler.spiders"], priority=priority)

    def update_settings(self, settings: BaseSettings) -> None:
        install_secrets_filter()  # DATABASE_URL may hold a password
        _apply(settings, TRACKLISTS_SETTINGS, TRACKLISTS_COMPONENTS)
        if make_url(settings["DATABASE_URL"]).get_driver_name() == "psycopg":
            require("postgres", "a PostgreSQL DATABASE_URL")  # at start-up, not mid-crawl


SPIDER_ADDONS = {
    "crawler.addons.Politeness": 100,
    "crawler.addons.Tracklists": 200,
    "crawler.cluster.ClusterAddon": 500,  # REDIS_URL set: shared frontier, clock, filter
}
"""The add-ons every shipped spider brings, with their order."""


def bring_addons(settings: BaseSettings, addons: dict[str, int] = SPIDER_ADDONS) -> None:
    """Enable ``addons`` in ``settings`` unless already there (by path or by class)."""
    priority = max(settings.getpriority("ADDONS") or 0, SETTINGS_PRIORITIES["spider"])
    current = BaseSettings()
    current.update(settings["ADDONS"] or {}, priority=settings.getpriority("ADDONS") or 0)
    for path, order in addons.items():
        present = _key_in(current, path)
        if present is None:
            current.set(path, order, priority="spider")
        elif current[present] is None:  # switched off: these spiders never run without it
            current.set(present, order, priority=max(current.getpriority(present) or 0, priority))
    # The whole setting at spider priority at least: Scrapy merges the runner's settings
    # into a crawler's where the crawler's priority is not higher (CrawlerRunner.crawl).
    settings.set("ADDONS", current, priority=priority)
