"""Prometheus metrics of crawls, served on ``127.0.0.1:PORT/metrics`` (prometheus-client).

One set of series per crawl name (label ``crawl``), whether they come from the schedule
runner (``crawler schedule run --forever --metrics-port N``: every run of every crawl,
since the runner started; the two timestamps are read from the store at start-up) or from a
single crawl (``METRICS_PORT``: that crawl's live stats). ``/healthz`` answers 200 while the
scheduler loop (or the crawl) is alive, 503 otherwise. Only loopback is listened on: put a
reverse proxy or the Prometheus agent on the same machine to reach it from elsewhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from crawler.monitor.extraction import site_health
from crawler.monitor.outcome import Outcome

__all__ = ["REFUSAL_REASONS", "CrawlTotals", "MetricsServer", "TotalsCollector", "registry_for"]

logger = logging.getLogger(__name__)

REFUSAL_REASONS = ("robots", "terms", "noindex", "tdm")


def _n(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def refusals(stats: Mapping[str, Any]) -> dict[str, int]:
    """Requests (and pages) refused, by reason: an answered robots.txt, the site terms,
    noindex pages, TDM reservations."""
    return {
        "robots": _n(stats, "politeness/refused/robots")
        - _n(stats, "politeness/refused/robots_unreachable"),
        "terms": _n(stats, "politeness/refused/terms"),
        "noindex": _n(stats, "politeness/pages/noindex"),
        "tdm": _n(stats, "politeness/pages/tdm_reserved"),
    }


@dataclass
class CrawlTotals:
    """What the metrics of one crawl name show."""

    last_run: float | None = None
    """Unix time the last run finished."""
    last_success: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    pages_fetched: int = 0
    sets_stored: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    retry_after_pauses: int = 0
    extraction_pages: dict[str, int] = field(default_factory=dict)
    extraction_empty: dict[str, int] = field(default_factory=dict)

    def add_stats(self, stats: Mapping[str, Any]) -> None:
        """Add one run's counts (from its stats)."""
        self.pages_fetched += _n(stats, "crawl/pages/fetched") + _n(
            stats, "incremental/not_modified"
        )
        # A linked set (the same set seen under another URL) is kept as a source of it.
        self.sets_stored += sum(_n(stats, f"store/{o}") for o in ("created", "updated", "linked"))
        for reason, count in refusals(stats).items():
            self.refused[reason] = self.refused.get(reason, 0) + count
        self.retry_after_pauses += _n(stats, "politeness/paused/retry_after")
        for health in site_health(stats):
            pages, empty = self.extraction_pages, self.extraction_empty
            pages[health.site] = pages.get(health.site, 0) + health.expected
            empty[health.site] = empty.get(health.site, 0) + health.empty

    def add_outcome(self, outcome: str | None, finished_at: float, success: bool) -> None:
        self.last_run = finished_at
        if success:
            self.last_success = finished_at
        if outcome:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


class TotalsCollector:
    """A prometheus-client collector over ``source()``: crawl name -> totals, read at each
    scrape (so a single crawl's series follow its live stats)."""

    def __init__(self, source: Callable[[], Mapping[str, CrawlTotals]]) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        totals = dict(self.source())
        yield self._gauge("crawler_last_run_timestamp_seconds",
                          "When the crawl's last run ended (Unix time).",
                          ((n, t.last_run) for n, t in totals.items()))  # fmt: skip
        yield self._gauge("crawler_last_success_timestamp_seconds",
                          "When the crawl's last ok or partial run ended (Unix time).",
                          ((n, t.last_success) for n, t in totals.items()))  # fmt: skip
        outcomes = CounterMetricFamily(
            "crawler_run_outcome", "Runs by outcome.", labels=["crawl", "outcome"]
        )
        for name, t in totals.items():
            for outcome in Outcome:
                outcomes.add_metric([name, outcome.value], t.outcomes.get(outcome.value, 0))
        yield outcomes
        for metric, doc, attr in (
            ("crawler_pages_fetched", "Page requests answered (304s included).", "pages_fetched"),
            (
                "crawler_sets_stored",
                "Sets written to the store (new, updated, or linked to one seen elsewhere).",
                "sets_stored",
            ),
            ("crawler_retry_after_pauses", "Hosts paused by a Retry-After.", "retry_after_pauses"),
        ):
            family = CounterMetricFamily(metric, doc, labels=["crawl"])
            for name, t in totals.items():
                family.add_metric([name], getattr(t, attr))
            yield family
        refused = CounterMetricFamily(
            "crawler_requests_refused",
            "Requests refused by robots.txt or the site terms; pages noindex or TDM-reserved.",
            labels=["crawl", "reason"],
        )
        for name, t in totals.items():
            for reason in REFUSAL_REASONS:
                refused.add_metric([name, reason], t.refused.get(reason, 0))
        yield refused
        for metric, doc, attr in (
            ("crawler_extraction_pages", "Pages expected to hold a set.", "extraction_pages"),
            ("crawler_extraction_empty_pages",
             "Pages expected to hold a set that gave none, or one without tracks.",
             "extraction_empty"),
        ):  # fmt: skip
            family = CounterMetricFamily(metric, doc, labels=["crawl", "site"])
            for name, t in totals.items():
                counts = getattr(t, attr)
                for site in sorted(t.extraction_pages):
                    family.add_metric([name, site], counts.get(site, 0))
            yield family

    @staticmethod
    def _gauge(metric: str, doc: str, values: Iterable[tuple[str, float | None]]) -> Metric:
        family = GaugeMetricFamily(metric, doc, labels=["crawl"])
        for name, value in values:
            if value is not None:
                family.add_metric([name], value)
        return family


def registry_for(source: Callable[[], Mapping[str, CrawlTotals]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TotalsCollector(source))
    return registry


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class MetricsServer:
    """``/metrics`` and ``/healthz`` on ``127.0.0.1:port``, in a thread of its own."""

    def __init__(self, port: int, registry: CollectorRegistry, alive: Callable[[], bool]) -> None:
        metrics = make_wsgi_app(registry)

        def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if path == "/metrics":
                body: Iterable[bytes] = metrics(environ, start_response)
                return body
            if path == "/healthz":
                ok = alive()
                start_response("200 OK" if ok else "503 Service Unavailable",
                               [("Content-Type", "text/plain; charset=utf-8")])  # fmt: skip
                return [b"ok\n" if ok else b"not running\n"]
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"/metrics or /healthz\n"]

        self.httpd = make_server("127.0.0.1", port, app, _Server, _QuietHandler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="metrics", daemon=True)

    def start(self) -> MetricsServer:
        self.thread.start()
        logger.info("Serving metrics on http://127.0.0.1:%d/metrics", self.port)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
