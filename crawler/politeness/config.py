"""Every politeness setting, read once per crawl into one typed, validated object.

Components never read raw settings: they get this object from the crawl's stack
(``crawler/politeness/stack.py``), so a contradiction (e.g. a Crawl-delay cap below the
delay floor) stops the crawl at start-up, once, with a message that names the settings
involved.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.settings import BaseSettings
from scrapy.settings import default_settings as scrapy_defaults

from crawler import ABOUT_URL, PRODUCT, __version__

if TYPE_CHECKING:
    pass

__all__ = ["PolitenessConfig", "PolitenessConfigError", "product_token"]

_CONTACT_RE = re.compile(r"(https?://|mailto:|[^\s@;()]+@[^\s@;()]+\.[^\s@;()]+)", re.I)


_NOT_NEGATIVE = (
    "DOWNLOAD_DELAY", "CRAWL_DELAY_DEFAULT", "PACE_JITTER", "PACE_LATENCY_RATIO",
    "ROBOTSTXT_RETRY_DELAY", "RETRY_AFTER_MAX",
)  # fmt: skip


class PolitenessConfigError(ValueError):
    """Settings that contradict each other or the politeness rules."""


def product_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched on: ``Name`` of ``Name/1.0 (...)``."""
    token = re.split(r"[/\s;(]", user_agent.strip(), maxsplit=1)[0]
    return token or PRODUCT


def build_user_agent(user_agent: str | None, contact: str) -> str:
    """A user-set User-Agent as is; otherwise ``Product/version (+about; contact)``."""
    if user_agent:
        return user_agent
    details = f"+{ABOUT_URL}" + (f"; {contact}" if contact else "")
    return f"{PRODUCT}/{__version__} ({details})"


@dataclass(frozen=True)
class PolitenessConfig:
    # Identity
    user_agent: str
    product: str
    has_contact: bool
    # Safety
    allow_private_hosts: bool
    # robots.txt
    obey_robots: bool
    robots_max_bytes: int
    robots_cache_s: float
    robots_max_redirects: int
    robots_retry_delay: float
    robots_retry_times: int
    # Pace
    delay_floor: float
    default_delay: float
    crawl_delay_max: float
    jitter: float
    latency_ratio: float
    factor_max: float
    backoff_start: float
    clock_class: str
    http_handler: str
    # Retry-After
    retry_after_max: float
    retry_after_times: int
    # What pages say
    obey_meta_robots: bool
    noindex_drops_items: bool
    tdm_drops_items: bool
    tdm_fetch_wellknown: bool
    # Site terms
    site_policy_file: str | None
    # The store (tdmrep.json verdicts, daily counts, each host's last request)
    database_url: str | None

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> PolitenessConfig:
        user_set = settings.get("USER_AGENT")
        if not user_set or user_set == scrapy_defaults.USER_AGENT:
            user_set = None
        contact = (settings.get("CONTACT") or "").strip()
        ua = build_user_agent(user_set, contact)
        product = settings.get("ROBOTSTXT_USER_AGENT") or product_token(ua)
        config = cls(
            user_agent=ua,
            product=product,
            has_contact=bool(contact) or bool(user_set and _CONTACT_RE.search(user_set)),
            allow_private_hosts=settings.getbool("ALLOW_PRIVATE_HOSTS"),
            obey_robots=settings.getbool("ROBOTSTXT_OBEY"),
            robots_max_bytes=settings.getint("ROBOTSTXT_MAX_BYTES"),
            robots_cache_s=settings.getfloat("ROBOTSTXT_CACHE_SECONDS"),
            robots_max_redirects=settings.getint("ROBOTSTXT_MAX_REDIRECTS"),
            robots_retry_delay=settings.getfloat("ROBOTSTXT_RETRY_DELAY"),
            robots_retry_times=settings.getint("ROBOTSTXT_RETRY_TIMES"),
            delay_floor=settings.getfloat("DOWNLOAD_DELAY"),
            default_delay=settings.getfloat("CRAWL_DELAY_DEFAULT"),
            crawl_delay_max=settings.getfloat("CRAWL_DELAY_MAX"),
            jitter=settings.getfloat("PACE_JITTER"),
            latency_ratio=settings.getfloat("PACE_LATENCY_RATIO"),
            factor_max=settings.getfloat("PACE_FACTOR_MAX"),
            backoff_start=settings.getfloat("PACE_BACKOFF_START"),
            clock_class=settings.get("PACE_CLOCK"),
            http_handler=settings.get("PACE_HTTP_HANDLER"),
            retry_after_max=settings.getfloat("RETRY_AFTER_MAX"),
            retry_after_times=settings.getint("RETRY_AFTER_TIMES"),
            obey_meta_robots=settings.getbool("ROBOTS_META_OBEY"),
            noindex_drops_items=settings.getbool("NOINDEX_DROPS_ITEMS"),
            tdm_drops_items=settings.getbool("TDM_RESERVATION_DROPS_ITEMS"),
            tdm_fetch_wellknown=settings.getbool("TDMREP_FETCH_WELLKNOWN"),
            site_policy_file=settings.get("SITE_POLICY_FILE") or None,
            database_url=settings.get("DATABASE_URL") or None,
        )
        config._validate()
        return config

    def _validate(self) -> None:
        figures = self.figures()
        # nan < 0 and nan < x are false: nan passed every check below, a gap of 0
        problems = [
            f"{name} is not a number (got nan)" for name in figures if math.isnan(figures[name])
        ]
        problems += [
            f"{name} must not be negative (got {figures[name]})"
            for name in _NOT_NEGATIVE
            if figures[name] < 0
        ]
        if self.factor_max < 1:
            problems.append(f"PACE_FACTOR_MAX must be at least 1 (got {self.factor_max})")
        if self.robots_max_redirects < 5:
            problems.append("ROBOTSTXT_MAX_REDIRECTS must be at least 5 (RFC 9309, 2.3.1.2)")
        if self.robots_cache_s > 24 * 3600:
            problems.append("ROBOTSTXT_CACHE_SECONDS must not exceed 86400 (RFC 9309, 2.4)")
        if self.robots_max_bytes < 500 * 1024:
            problems.append("ROBOTSTXT_MAX_BYTES must be at least 512000 (RFC 9309, 2.5)")
        floor = max(self.delay_floor, self.default_delay)
        if self.crawl_delay_max < floor:
            problems.append(
                f"CRAWL_DELAY_MAX ({self.crawl_delay_max}) is below DOWNLOAD_DELAY/"
                f"CRAWL_DELAY_DEFAULT ({floor}): every host would be skipped"
            )
        # AutoThrottle, concurrency per host and Scrapy's robots.txt middleware are the
        # add-on's refusals (crawler/addons.py), made before any component is built.
        if problems:
            raise PolitenessConfigError("Contradictory settings: " + "; ".join(problems))

    def figures(self) -> dict[str, float]:
        """The numeric settings, by name."""
        return {
            "DOWNLOAD_DELAY": self.delay_floor,
            "CRAWL_DELAY_DEFAULT": self.default_delay,
            "CRAWL_DELAY_MAX": self.crawl_delay_max,
            "PACE_JITTER": self.jitter,
            "PACE_LATENCY_RATIO": self.latency_ratio,
            "PACE_FACTOR_MAX": self.factor_max,
            "PACE_BACKOFF_START": self.backoff_start,
            "ROBOTSTXT_CACHE_SECONDS": self.robots_cache_s,
            "ROBOTSTXT_RETRY_DELAY": self.robots_retry_delay,
            "RETRY_AFTER_MAX": self.retry_after_max,
        }

    def summary(self) -> dict[str, Any]:
        """The figures a crawl-run row keeps, so a run can be judged later."""
        return {
            "user_agent": self.user_agent,
            "delay_floor": self.delay_floor,
            "default_delay": self.default_delay,
            "crawl_delay_max": self.crawl_delay_max,
            "retry_after_max": self.retry_after_max,
        }
