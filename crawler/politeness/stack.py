"""The politeness objects of one crawl, built once each, on first use, by the
:class:`~crawler.addons.Politeness` add-on that switched the components on.

Scrapy builds each component on its own (the handler, the middlewares, the frontier);
they all need the same config, site terms, pace and clock. The add-on is built once per
crawler, before any component, so it builds this stack (and the rendering objects on top
of it, ``crawler/render/parts.py``) and offers its objects to the crawler's components
(:mod:`crawler.wiring`): components ask for them by type in ``from_crawler``
and take them as constructor arguments. Nothing here is imported by the components, so
the wiring goes one way, and two crawls in one process never share a clock.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from scrapy.utils.misc import build_from_crawler, load_object

from crawler.politeness.clock import HostClock
from crawler.politeness.config import PolitenessConfig
from crawler.politeness.host_memory import HostMemory
from crawler.politeness.pace import PacePolicy
from crawler.politeness.quota import (
    DailyQuotas,
    MemoryQuotaCounter,
    QuotaCounter,
    StoreQuotaCounter,
)
from crawler.politeness.terms import TermsRegistry
from crawler.politeness.turns import Turns
from crawler.wiring import Parts

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["PolitenessStack"]


class PolitenessStack:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    def parts(self) -> Parts:
        """What the components ask for, by type (:mod:`crawler.wiring`)."""
        return {
            PolitenessConfig: lambda: self.config,
            TermsRegistry: lambda: self.terms,
            PacePolicy: lambda: self.pace,
            HostClock: lambda: self.clock,
            DailyQuotas: lambda: self.quotas,
            HostMemory: lambda: self.host_memory,
            Turns: lambda: self.turns,
        }

    @cached_property
    def config(self) -> PolitenessConfig:
        """Every politeness setting, read and validated once."""
        return PolitenessConfig.from_settings(self.crawler.settings)

    @cached_property
    def terms(self) -> TermsRegistry:
        return TermsRegistry.load(self.config.site_policy_file)

    @cached_property
    def pace(self) -> PacePolicy:
        return PacePolicy(self.config, self.terms, self.crawler.stats)

    @cached_property
    def clock(self) -> HostClock:
        """Of the class named by ``PACE_CLOCK``."""
        cls = load_object(self.config.clock_class)
        clock = build_from_crawler(cls, self.crawler)
        if not isinstance(clock, HostClock):
            raise TypeError(f"PACE_CLOCK {cls!r} is not a HostClock")
        return clock

    @cached_property
    def turns(self) -> Turns:
        """What everything that sends asks: may this host go now?"""
        return Turns(self.clock, self.pace, self.config, self.quotas, self.host_memory)

    @cached_property
    def quotas(self) -> DailyQuotas:
        """Daily limits of the site terms, counted where the clock keeps its records: in
        Redis for the cluster's clock (``daily_counter``), else in the store."""
        shared = getattr(self.clock, "daily_counter", None)
        counter: QuotaCounter
        if shared is not None:
            counter = shared()
        elif self.config.database_url:
            counter = StoreQuotaCounter(self.config.database_url)
        else:
            counter = MemoryQuotaCounter()
        return DailyQuotas(self.terms, counter, self.crawler.stats)

    @cached_property
    def host_memory(self) -> HostMemory | None:
        """Each host's last request in the store, for the next run; None without a store.
        The shared clock's records need it too: the private Redis of ``--workers`` ends
        with the command (a second run sent its first request 5.1 s after the last one
        where Crawl-delay said 6), and a shared Redis lets them expire."""
        if not self.config.database_url:
            return None
        return HostMemory(self.config.database_url, self.clock, self.config.crawl_delay_max)
