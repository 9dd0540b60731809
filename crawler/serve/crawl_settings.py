"""Which settings and arguments a crawl started over HTTP may carry, and which values.

A job's ``"settings"`` are a subset of what ``crawler crawl -s NAME=VALUE`` accepts: those
that shape the crawl and nothing else (:data:`JOB_SETTINGS`, an allow-list). The others are
the server's: where the crawl reads and writes (store, logs, archive, files), what it loads
(components, queues, handlers, any setting naming a class), who it says it is
(``USER_AGENT``, ``DEFAULT_REQUEST_HEADERS``, ``ROBOTSTXT_USER_AGENT``), whom it tells
(mail, telnet), where it goes (proxies, API addresses, the private networks it may reach).
A deny-list of those could never be complete: Scrapy adds settings in every release. And a
politeness rule or the private-address guard may not be lifted by a job: a value less strict
than the server's own (the project default, or what ``crawler serve -s`` was started with) is
refused, as is a number that is not finite (``nan`` compares as neither lower nor higher).

A job's arguments may name the web only: ``start_urls`` of http(s) URLs, no ``urls_file``,
and not the ``exports`` spider, which reads the server's own files (a key holder would read
them into the public archive); those are imported on the server.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = [
    "JOB_SETTINGS", "LOCAL_SPIDERS", "RULES", "baseline", "check_arguments", "check_settings",
    "known_settings",
]  # fmt: skip

Strict = Literal["stays_true", "stays_false", "not_lower", "not_higher"]
RULES: Mapping[str, Strict] = {
    "ROBOTSTXT_OBEY": "stays_true",
    "ROBOTS_META_OBEY": "stays_true",
    "NOINDEX_DROPS_ITEMS": "stays_true",
    "TDM_RESERVATION_DROPS_ITEMS": "stays_true",
    "TDMREP_FETCH_WELLKNOWN": "stays_true",
    "ALLOW_PRIVATE_HOSTS": "stays_false",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "not_higher",
    "CRAWL_DELAY_DEFAULT": "not_lower",
    "DOWNLOAD_DELAY": "not_lower",
    "PACE_LATENCY_RATIO": "not_lower",
    "PACE_FACTOR_MAX": "not_lower",
    "PACE_BACKOFF_START": "not_lower",
    "ROBOTSTXT_CACHE_SECONDS": "not_higher",
    "RETRY_AFTER_TIMES": "not_higher",
    "RETRY_TIMES": "not_higher",
    "MAX_LINKS_PER_PAGE": "not_higher",
    "DOWNLOAD_DELAY_JITTER": "not_higher",  # Scrapy's jitter shortens gaps too
    "ROBOTSTXT_MAX_BYTES": "not_lower",  # rules past it are ignored
    "ROBOTSTXT_MAX_REDIRECTS": "not_lower",  # past it, robots.txt is unavailable: all allowed
}
"""The politeness rules and the private-address guard, and which way is stricter."""

JOB_SETTINGS = frozenset({
    *RULES,
    # how long, how deep, how much: the project's
    "CRAWL_DELAY_MAX", "DEPTH_PRIORITY", "DOWNLOAD_MAXSIZE", "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_WARNSIZE", "MAX_TRACKS_PER_SET", "PACE_JITTER", "RETRY_AFTER_MAX",
    "SHUTDOWN_DOWNLOAD_GRACE", "CONCURRENT_REQUESTS", "CONCURRENT_ITEMS",
    "IDLE_TIMEOUT", "INCREMENTAL_ENABLED", "ENRICH_MIN_SCORE", "EXTRACTION_ALERT_MIN_PAGES",
    "EXTRACTION_ALERT_RATIO", "LOG_LEVEL", "PROGRESS_LOG_SECONDS", "STORE_BATCH_SIZE",
    "STORE_FLUSH_SECONDS", "RENDER_ENABLED", "RENDER_MAX_PAGES", "RENDER_TIMEOUT",
    "RENDER_WAIT_UNTIL", "RENDER_SETTLE", "WARC_MAX_BYTES",
    # and Scrapy's
    "CLOSESPIDER_ERRORCOUNT", "CLOSESPIDER_ITEMCOUNT", "CLOSESPIDER_PAGECOUNT",
    "CLOSESPIDER_PAGECOUNT_NO_ITEM", "CLOSESPIDER_TIMEOUT", "CLOSESPIDER_TIMEOUT_NO_ITEM",
    "DEPTH_LIMIT", "DEPTH_STATS_VERBOSE", "DNS_TIMEOUT", "DOWNLOAD_FAIL_ON_DATALOSS",
    "LOGSTATS_INTERVAL", "REDIRECT_MAX_TIMES", "URLLENGTH_LIMIT", "MEMUSAGE_LIMIT_MB",
    "MEMUSAGE_WARNING_MB",
})  # fmt: skip
"""What a job may set (see the module); every other setting is the server's."""

LOCAL_SPIDERS = frozenset({"exports"})
"""Spiders that read the server's own files: not a job's to start."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", "none", ""}


def known_settings() -> set[str]:
    """Every setting name ``-s`` can mean: the project's and Scrapy's."""
    from scrapy.settings import default_settings

    from crawler import settings

    return {n for n in (*vars(settings), *vars(default_settings)) if n.isupper()}


def baseline(started_with: Mapping[str, str]) -> dict[str, Any]:
    """The server's value of every ruled setting: the project's, or ``crawler serve -s``."""
    from scrapy.settings import default_settings

    from crawler import settings

    values = {n: getattr(settings, n, getattr(default_settings, n, None)) for n in RULES}
    return {**values, **{n: v for n, v in started_with.items() if n in RULES}}


def _as_bool(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"not a boolean: {value!r}")


def _lifts(rule: Strict, value: Any, server: Any) -> bool:
    if rule == "stays_true":
        return _as_bool(server) and not _as_bool(value)
    if rule == "stays_false":
        return _as_bool(value) and not _as_bool(server)
    number, limit = float(value), float(server or 0)  # finite: checked first
    return number < limit if rule == "not_lower" else number > limit


def _not_finite(value: Any) -> bool:
    """``nan``, ``inf``: never a value of a crawl setting (and not JSON)."""
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def check_settings(
    asked: Mapping[str, Any], server: Mapping[str, Any], known: set[str]
) -> list[str]:
    """Why each of a job's ``asked`` settings is refused; empty when all are accepted."""
    problems = []
    for name, value in asked.items():
        if name not in known:
            problems.append(f"{name}: not a setting of a crawl")
        elif name not in JOB_SETTINGS:
            problems.append(f"{name}: set by the server, not by a job")
        elif _not_finite(value):
            problems.append(f"{name}: {value!r} is not a value for it")
        elif name in RULES:
            try:
                if _lifts(RULES[name], value, server.get(name)):
                    problems.append(
                        f"{name}={value!r} lifts a politeness rule or the private-address"
                        f" guard (this server runs crawls with {server.get(name)!r})"
                    )
            except (TypeError, ValueError):
                problems.append(f"{name}: {value!r} is not a value for it")
    return problems


def check_arguments(spider: str, args: Mapping[str, Any]) -> list[str]:
    """Why a job's spider or ``args`` are refused (they would read the server's own
    files); empty when they name the web only."""
    if spider in LOCAL_SPIDERS:
        return [f"spider {spider!r} reads the server's own files: import them on the server"]
    problems = []
    if "urls_file" in args:
        problems.append("urls_file: names a file of the server; give start_urls")
    for url in str(args.get("start_urls") or "").split(","):
        if url.strip() and urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
            problems.append(f"start_urls: {url.strip()!r} is not an http(s) URL")
    return problems
