"""``python -m crawler sources``: the sources that say yes, and how to use them politely.

They are the site-terms entries (shipped, and your ``SITE_POLICY_FILE``) with
``crawl = "allowed"`` and a spider to read them: what each gives, its rate rules and daily
quota (with what is left today, from the store), whether it needs an API key, and the URL
that grants the access. ``crawler policy URL`` shows the same for the site of one URL.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from scrapy.settings import Settings
from sqlalchemy.engine import make_url

from crawler.cli._settings import add_settings_option, command_settings
from crawler.politeness.quota import StoreQuotaCounter, utc_day
from crawler.politeness.terms import SiteTerms, TermsError, TermsRegistry

__all__ = ["describe", "register", "sources_that_say_yes"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sources",
        help="list the sources that say yes: what they give, their rules, quotas and keys",
        description=__doc__.splitlines()[0].replace("``", ""),
    )
    add_settings_option(
        parser, "override a setting, as with scrapy -s (SITE_POLICY_FILE, DATABASE_URL)"
    )
    parser.set_defaults(func=run)


def sources_that_say_yes(terms: TermsRegistry) -> list[SiteTerms]:
    return [e for e in terms if e.crawl == "allowed" and e.spiders]


def _left_today(entry: SiteTerms, database_url: str | None) -> int | None:
    """Requests left today by the store's count; None when there is no store to ask (a
    SQLite file not created yet is not created by asking)."""
    if entry.daily_limit is None or not database_url:
        return None
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return entry.daily_limit
    try:
        used = asyncio.run(StoreQuotaCounter(database_url).used(entry.domain, utc_day()))
    except Exception:  # the store away: say nothing rather than guess
        return None
    return max(0, entry.daily_limit - used)


def _rate(entry: SiteTerms) -> str:
    if not entry.min_delay:
        return "robots.txt and the pace policy decide"
    per_second = 1 / entry.min_delay
    rate = f"{per_second:g} a second" if per_second >= 1 else f"one every {entry.min_delay:g} s"
    return f"{entry.min_delay:g} s between requests ({rate}), never faster"


def describe(entry: SiteTerms, settings: Settings) -> list[str]:
    """The lines ``crawler sources`` prints for one entry (without its heading)."""
    lines = []
    if entry.gives:
        lines.append(f"gives:    {entry.gives}")
    lines.append(f"rate:     {_rate(entry)}")
    if entry.daily_limit is not None:
        counted = f" (counting {', '.join(entry.quota_paths)})" if entry.quota_paths else ""
        quota = f"quota:    {entry.daily_limit:,} requests a day (UTC){counted}"
        left = _left_today(entry, settings.get("DATABASE_URL") or None)
        if left is not None:
            quota += f"; {left:,} left today"
        lines.append(quota)
    if entry.key_setting:
        given = "set" if str(settings.get(entry.key_setting) or "").strip() else "not set"
        lines.append(f"key:      needs an API key in {entry.key_setting} ({given})")
    else:
        lines.append("key:      none needed")
    access = entry.api_terms_url or entry.terms_url
    if access:
        lines.append(f"access:   {access}")
    if entry.note:
        lines.append(f"rules:    {entry.note}")
    return lines


def run(args: argparse.Namespace) -> int:
    try:
        settings = command_settings(args.set)
    except ValueError as exc:
        print(exc)
        return 2
    try:
        terms = TermsRegistry.load(settings.get("SITE_POLICY_FILE") or None)
    except TermsError as exc:
        print(f"Error: {exc}")
        return 2
    found = sources_that_say_yes(terms)
    print(f'{len(found)} sources say yes to programs (site terms with crawl = "allowed"):')
    for entry in found:
        spiders = ", ".join(f"scrapy crawl {s}" for s in entry.spiders)
        print(f"\n{entry.domain}: {spiders}")
        for line in describe(entry, settings):
            print(f"  {line}")
    print("\nYour own files and exports need no permission: scrapy crawl exports -a path=...")
    return 0
