"""Which settings a crawl started over HTTP may carry, and which values.

A job's ``"settings"`` are what ``crawler crawl -s NAME=VALUE`` accepts: the project's
settings (crawler/settings.py) and Scrapy's, by name. Some are never a job's to set: where
the crawl writes (store, logs, job folder), what it loads (components, handlers, add-ons),
who it says it is (``USER_AGENT``, ``CONTACT``). And a politeness rule or the
private-address guard may not be lifted by a job: a value less strict than the server's
own (the project default, or what ``crawler serve -s`` was started with) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["FIXED", "RULES", "baseline", "check_settings", "known_settings"]

FIXED = frozenset({
    "DATABASE_URL", "JOBDIR", "LOG_FILE", "LOG_FILE_APPEND", "CRAWL_NAME", "CRAWL_LOCK_OWNER",
    "ADDONS", "EXTENSIONS", "EXTENSIONS_BASE", "DOWNLOADER_MIDDLEWARES",
    "DOWNLOADER_MIDDLEWARES_BASE", "SPIDER_MIDDLEWARES", "SPIDER_MIDDLEWARES_BASE",
    "ITEM_PIPELINES", "ITEM_PIPELINES_BASE", "DOWNLOAD_HANDLERS", "DOWNLOAD_HANDLERS_BASE",
    "PACE_CLOCK", "PACE_HTTP_HANDLER", "RENDER_PLAIN_HANDLER", "RENDER_BROWSER_PATH",
    "RENDER_BROWSER_ARGS", "SCHEDULER", "SCHEDULER_PRIORITY_QUEUE", "COMMANDS_MODULE",
    "SPIDER_MODULES", "NEWSPIDER_MODULE", "SPIDER_LOADER_CLASS", "TWISTED_REACTOR",
    "LOG_FORMATTER", "SITE_POLICY_FILE", "SPOOL_DIR", "FEEDS", "FEED_URI", "FEED_STORAGES",
    "METRICS_PORT", "REDIS_URL", "USER_AGENT", "CONTACT", "TELNETCONSOLE_ENABLED",
    "REMOTE_CONTROL_ENABLED", "HTTPCACHE_DIR", "HTTPCACHE_ENABLED", "SETTINGS_PRIORITIES",
    "STATS_CLASS", "DUPEFILTER_CLASS", "DNS_RESOLVER", "DOWNLOADER", "ROBOTSTXT_PARSER",
    "REQUEST_FINGERPRINTER_CLASS", "CLUSTER_KEY_PREFIX", "BOT_NAME", "CONCURRENT_REQUESTS_PER_IP",
})  # fmt: skip
"""Settings a job never sets: the server decides them (see the module)."""

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
}
"""The politeness rules and the private-address guard, and which way is stricter."""

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
    number, limit = float(value), float(server or 0)
    return number < limit if rule == "not_lower" else number > limit


def check_settings(
    asked: Mapping[str, Any], server: Mapping[str, Any], known: set[str]
) -> list[str]:
    """Why each of a job's ``asked`` settings is refused; empty when all are accepted."""
    problems = []
    for name, value in asked.items():
        if name not in known:
            problems.append(f"{name}: not a setting of a crawl")
        elif name in FIXED:
            problems.append(f"{name}: set by the server, not by a job")
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
