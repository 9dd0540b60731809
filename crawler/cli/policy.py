"""``python -m crawler policy URL``: what the crawler may do with one URL, and why.

It reads the project's settings, the site terms, and (unless ``--no-fetch``, or the terms
or a missing contact forbid it) that host's robots.txt: the copy a crawl kept in the store
within ``ROBOTSTXT_CACHE_SECONDS``, which the next crawl obeys without asking, or else
fetched once with the crawler's own User-Agent and judged by the same RFC 9309 rules as a
crawl. Exit code: 0 when a
crawl would fetch the URL, 4 when it would not (refused, disallowed or skipped), 2 for
bad input.
"""

from __future__ import annotations

import argparse
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import Settings
from sqlalchemy.exc import SQLAlchemyError

from crawler.cli._settings import add_settings_option, command_settings
from crawler.origins import url_origin
from crawler.politeness.config import PolitenessConfig, PolitenessConfigError
from crawler.politeness.pace import PacePolicy
from crawler.politeness.private_hosts import is_private_address, resolve
from crawler.politeness.robots import kept_rules, read_kept
from crawler.politeness.robots_rules import (
    RobotsFile,
    disallow_all,
    judge_answer,
    too_many_redirects,
)
from crawler.politeness.terms import SiteTerms, TermsError, TermsRegistry
from crawler.politeness.useragent import NO_CONTACT_HELP, is_loopback_host
from crawler.store.db import missing_store


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "policy",
        help="explain robots.txt, pace, site terms and JavaScript for one URL",
        description=__doc__.splitlines()[0].replace("``", ""),
    )
    parser.add_argument("url")
    parser.add_argument("--no-fetch", action="store_true", help="do not fetch robots.txt")
    add_settings_option(parser, "override a setting, as with scrapy -s")
    parser.set_defaults(func=run)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch_robots(origin: str, config: PolitenessConfig, timeout: float = 10) -> RobotsFile:
    """One robots.txt fetch, judged like a crawl does (status first, redirects, size)."""
    opener = urllib.request.build_opener(_NoRedirect)
    url = f"{origin}/robots.txt"
    for _hop in range(config.robots_max_redirects + 1):
        request = urllib.request.Request(url, headers={"User-Agent": config.user_agent})
        try:
            with opener.open(request, timeout=timeout) as response:
                status, body = response.status, response.read(config.robots_max_bytes + 1)
                location = response.headers.get("Location")
        except urllib.error.HTTPError as exc:
            status, body, location = exc.code, exc.read(), exc.headers.get("Location")
        except (OSError, ValueError) as exc:
            return disallow_all(f"{type(exc).__name__}: {exc}")
        verdict = judge_answer(status, body, location, url, config.robots_max_bytes)
        if not isinstance(verdict, str):
            return verdict
        url = verdict
    return too_many_redirects(config.robots_max_redirects)


def kept_robots(origin: str, config: PolitenessConfig) -> tuple[RobotsFile, datetime] | None:
    """The robots.txt verdict a crawl kept in the store within ``ROBOTSTXT_CACHE_SECONDS``
    (the one the next crawl obeys without asking) and when it was fetched, or None. Only
    an existing store is read: explaining a URL creates none."""
    url = config.database_url
    if not url or missing_store(url):
        return None
    try:
        kept = read_kept(url, origin.lower(), timedelta(seconds=config.robots_cache_s))
        return None if kept is None else (kept_rules(kept), kept.fetched_at)
    except (SQLAlchemyError, OSError, ValueError):  # the store away: ask the site instead
        return None


EXIT_REFUSED = 4
"""``crawler policy`` exits with this when the crawler would not fetch the URL."""


def explain(url: str, settings: Settings, fetch: bool = True) -> list[str]:
    return judge(url, settings, fetch)[0]


def judge(url: str, settings: Settings, fetch: bool = True) -> tuple[list[str], bool]:
    """The explanation, line by line, and whether a crawl would fetch ``url``."""
    config = PolitenessConfig.from_settings(settings)
    parts = urlsplit(url)
    host = parts.hostname or ""
    terms = TermsRegistry.load(config.site_policy_file)
    entry = terms.lookup(host)
    lines = [f"URL:          {url}", f"User-Agent:   {config.user_agent}"]
    lines.append(f"              robots.txt groups matched on {config.product!r}")
    lines += _terms_lines(entry, settings)
    refusal = entry.refusal() if entry is not None else None
    if refusal is None:
        refusal = _refusal_before_sending(config, host)
    if refusal is not None:
        lines.append(f"Verdict:      REFUSED before anything is sent: {refusal}")
        return lines, False

    pace = PacePolicy(config, terms)
    allowed = True
    if not config.obey_robots:
        lines.append("robots.txt:   not obeyed (ROBOTSTXT_OBEY is off)")
    elif not fetch:
        lines.append("robots.txt:   not fetched (--no-fetch)")
    else:
        allowed = _robots_lines(url, config, entry, pace, lines)
    skipped = pace.dropped(host)
    why = pace.explain(host)
    lines.append(f"Pace:         {why.allowed:g} s between requests, set by {why.reason}")
    for source, value in why.parts.items():
        lines.append(f"              {source}: {value:g} s")
    lines.append("              (longer while the host is slow or failing; never shorter)")
    if skipped:
        lines.append(f"              SKIPPED for the run: {skipped}")
        allowed = False
    js = entry is not None and entry.render_js
    lines.append(
        "JavaScript:   "
        + ("may run (site terms: render_js = true)" if js else "never runs (no render_js = true)")
    )
    return lines, allowed


def _terms_lines(entry: SiteTerms | None, settings: Settings) -> list[str]:
    """What the site terms say of the host, and of the source when it says yes to programs."""
    if entry is None:
        return ["Site terms:   no entry: robots.txt decides"]
    lines = [
        f"Site terms:   {entry.domain}: crawl={entry.crawl}, render_js="
        f"{str(entry.render_js).lower()}, min_delay={entry.min_delay:g} s ({entry.source})"
    ]
    if entry.terms_url:
        lines.append(f"              terms: {entry.terms_url}")
    if entry.api_terms_url:
        lines.append(
            f"              web service for programs: {', '.join(entry.api_paths)}"
            f" (robots.txt disallowing them gives way: {entry.api_terms_url})"
        )
    if entry.crawl == "allowed" and (entry.spiders or entry.daily_limit is not None):
        from crawler.cli.sources import describe

        spiders = ", ".join(f"scrapy crawl {s}" for s in entry.spiders) or "none shipped"
        lines.append(f"Source:       says yes to programs: {spiders}")
        lines += [f"              {line}" for line in describe(entry, settings)]
    return lines


def _refusal_before_sending(config: PolitenessConfig, host: str) -> str | None:
    """Why the crawl would send nothing to ``host`` whatever the site says: no contact in
    the User-Agent, or a private address."""
    if not config.has_contact and not is_loopback_host(host):
        return NO_CONTACT_HELP
    if config.allow_private_hosts:
        return None
    try:
        private = [a for a in resolve(host) if is_private_address(a)]
    except OSError:
        private = []
    if private:
        return f"{host} resolves to {', '.join(private)}; ALLOW_PRIVATE_HOSTS is off"
    return None


def _robots_lines(
    url: str, config: PolitenessConfig, entry: SiteTerms | None, pace: PacePolicy, lines: list[str]
) -> bool:
    """The host's robots.txt (kept in the store, or fetched): explain its verdict in
    ``lines`` and give its rate to ``pace``; whether the crawl would fetch ``url``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    site = url_origin(parts)
    kept = kept_robots(site, config)
    rules = kept[0] if kept is not None else fetch_robots(site, config)
    allowed = rules.allowed(url, config.product)
    verdict = "allowed" if allowed else "DISALLOWED"
    group = rules.group(config.product)
    lines.append(f"robots.txt:   {verdict} ({rules.kind}: {rules.reason})")
    if kept is not None:
        fetched = kept[1]
        until = fetched + timedelta(seconds=config.robots_cache_s)
        lines.append(
            f"              kept in the store from a crawl's fetch at {fetched:%Y-%m-%d %H:%M}"
            f" UTC; crawls obey it without asking until {until:%Y-%m-%d %H:%M} UTC (not"
            " fetched now; -s ROBOTSTXT_CACHE_SECONDS=0 fetches it)"
        )
    permission = entry.api_permission(parts.path or "/") if entry else None
    if verdict == "DISALLOWED" and rules.kind == "parsed" and permission:
        allowed = True  # the crawl fetches it, as RobotsPolicy lets it through
        lines.append(
            f"              but ALLOWED for programs by the site's documented permission "
            f"({permission}), recorded in the site terms for {', '.join(entry.api_paths)}"  # type: ignore[union-attr]
        )
    if rules.kind == "parsed":
        lines.append(
            "              group: "
            + (f"User-agent: {group}" if group else "none matches: everything allowed")
        )
    pace.set_robots_rate(
        host, site, rules.crawl_delay(config.product), rules.rate_interval(config.product)
    )
    return allowed


def run(args: argparse.Namespace) -> int:
    parts = urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        print(f"Not an http(s) URL: {args.url}")
        return 2
    try:
        settings = command_settings(args.set)
    except ValueError as exc:
        print(exc)
        return 2
    try:
        lines, allowed = judge(args.url, settings, fetch=not args.no_fetch)
    except (PolitenessConfigError, TermsError) as exc:
        print(f"Error: {exc}")
        return 2
    print("\n".join(lines))
    return 0 if allowed else EXIT_REFUSED
