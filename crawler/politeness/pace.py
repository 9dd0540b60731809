"""How long to wait between two requests to one host, and why.

A host's allowed gap is the largest of its robots.txt ``Crawl-delay``, its ``Request-rate``
interval, its site-terms ``min_delay`` and the ``DOWNLOAD_DELAY`` floor. When robots.txt
gives no rate at all, ``CRAWL_DELAY_DEFAULT`` (1 s) stands in for it. The crawl starts at
that gap: no warm-up.

On top of the allowed gap, a struggling host is slowed down, AutoThrottle-style, in two ways
kept apart: every error (5xx, 429, time-out, lost connection) doubles a back-off factor, in
units of ``PACE_BACKOFF_START`` for hosts allowing shorter gaps, and every good response
halves its distance back to 1; and a host whose smoothed response time is above its gap gets
that response time (x ``PACE_LATENCY_RATIO``) as its gap. The two are apart because a slow
answer is no error: a host allowing 0.05 s whose pages take 0.07 s waits 0.07 s, not the
back-off unit of 1 s. Jitter (``PACE_JITTER``) only ever lengthens a gap.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawler.politeness.config import PolitenessConfig
from crawler.politeness.terms import TermsRegistry

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

__all__ = ["GapExplanation", "PacePolicy"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GapExplanation:
    """The parts of a host's gap, for logs and ``python -m crawler policy``."""

    parts: dict[str, float]
    """Candidate gaps by source: ``Crawl-delay``, ``Request-rate``, ``site terms``, ..."""
    allowed: float
    reason: str
    """The source that set ``allowed``."""
    factor: float
    """The error back-off factor (1 while the host answers without errors)."""
    gap: float
    """The gap applied now, before jitter: ``allowed`` slowed down for errors and latency."""


@dataclass
class _HostState:
    crawl_delay: dict[str, float] = field(default_factory=dict)
    """Per robots.txt origin (scheme://host:port) of this host."""
    rate_interval: dict[str, float] = field(default_factory=dict)
    factor: float = 1.0
    """Error back-off: doubled by each error, halfway back to 1 with each good answer."""
    latency: float | None = None
    """Smoothed response time (EWMA), so one slow answer doesn't slow the host down."""
    dropped: str | None = None


class PacePolicy:
    """The per-host gap. Knows rates; the clock (``clock.py``) enforces them."""

    def __init__(
        self,
        config: PolitenessConfig,
        terms: TermsRegistry | None = None,
        stats: StatsCollector | None = None,
    ) -> None:
        self.config = config
        self.terms = terms
        self.stats = stats
        self._hosts: dict[str, _HostState] = {}

    def _state(self, host: str) -> _HostState:
        return self._hosts.setdefault(host, _HostState())

    # -- what the host asks for ---------------------------------------------------------
    def set_robots_rate(
        self, host: str, origin: str, crawl_delay: float | None, rate_interval: float | None
    ) -> None:
        """Rates from a host's robots.txt; a Crawl-delay above the cap skips the host."""
        state = self._state(host)
        state.crawl_delay.pop(origin, None)
        state.rate_interval.pop(origin, None)
        if crawl_delay is not None:
            state.crawl_delay[origin] = crawl_delay
        if rate_interval is not None:
            state.rate_interval[origin] = rate_interval
        wanted = max([*state.crawl_delay.values(), *state.rate_interval.values(), 0.0])
        if wanted > self.config.crawl_delay_max:
            self.drop(
                host,
                f"its robots.txt asks for {wanted:g} s between requests, above "
                f"CRAWL_DELAY_MAX={self.config.crawl_delay_max:g} s "
                f"(raise CRAWL_DELAY_MAX to crawl it at that pace)",
                stat="crawl_delay_above_max",
            )

    def explain(self, host: str) -> GapExplanation:
        state = self._state(host)
        parts: dict[str, float] = {"DOWNLOAD_DELAY floor": self.config.delay_floor}
        robots_rate = False
        if state.crawl_delay:
            parts["robots.txt Crawl-delay"] = max(state.crawl_delay.values())
            robots_rate = True
        if state.rate_interval:
            parts["robots.txt Request-rate"] = max(state.rate_interval.values())
            robots_rate = True
        if not robots_rate:
            parts["CRAWL_DELAY_DEFAULT (robots.txt gives no rate)"] = self.config.default_delay
        entry = self.terms.lookup(host) if self.terms else None
        if entry is not None and entry.min_delay:
            parts[f"site terms min_delay ({entry.domain})"] = entry.min_delay
        reason, allowed = max(parts.items(), key=lambda kv: kv[1])
        return GapExplanation(parts, allowed, reason, state.factor, self._slowed(state, allowed))

    def allowed_gap(self, host: str) -> float:
        """The gap the host asks for, before slowing down for errors or latency."""
        return self.explain(host).allowed

    def base_gap(self, host: str) -> float:
        """The gap to apply now before jitter: the allowed gap, slowed down for errors and
        latency (the frontier's estimate of when a host is ready; jitter only lengthens it)."""
        return self.explain(host).gap

    def _slowed(self, state: _HostState, allowed: float) -> float:
        gap = allowed
        if state.factor > 1.0:
            # A host allowing back-to-back requests still backs off in real seconds.
            gap = max(allowed, self.config.backoff_start) * state.factor
        if state.latency is not None:
            most = max(allowed, self.config.backoff_start) * self.config.factor_max
            gap = max(gap, min(self.config.latency_ratio * state.latency, most))
        return gap

    def gap(self, host: str) -> float:
        """The gap to apply now: :meth:`base_gap`, lengthened by jitter."""
        jitter = random.uniform(0.0, self.config.jitter) if self.config.jitter else 0.0
        return self.base_gap(host) * (1.0 + jitter)

    # -- how the host is doing ----------------------------------------------------------
    def observe(self, host: str, latency: float, error: bool) -> None:
        """Slow down from one response (or failure).

        Errors double the back-off factor (up to ``PACE_FACTOR_MAX``); a good answer moves
        it halfway back to 1 and adds its response time to the host's smoothed latency
        (EWMA, 1/8 weight to the new sample, as TCP's RTT), so one slow answer does not
        slow the host down and a server that stays slow does.
        """
        state = self._state(host)
        if error:
            state.factor = min(self.config.factor_max, state.factor * 2.0)
            return
        state.latency = (
            latency if state.latency is None else state.latency + (latency - state.latency) / 8.0
        )
        factor = (state.factor + 1.0) / 2.0
        state.factor = 1.0 if factor < 1.01 else factor

    def factor(self, host: str) -> float:
        return self._state(host).factor

    # -- hosts left out of this run -----------------------------------------------------
    def drop(self, host: str, reason: str, stat: str) -> bool:
        """Leave ``host`` out for the rest of the run, with one log line. True if new."""
        state = self._state(host)
        if state.dropped is not None:
            return False
        state.dropped = reason
        logger.warning("Skipping host %s for this run: %s", host, reason)
        if self.stats is not None:
            self.stats.inc_value(f"politeness/hosts_skipped/{stat}")
        return True

    def dropped(self, host: str) -> str | None:
        """Why the host is left out of this run, or None."""
        return self._state(host).dropped
