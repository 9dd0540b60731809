"""``python -m crawler enrich musicbrainz``: MusicBrainz identifiers for stored tracks.

For each stored track without a recording MBID, a recording search by artist and title;
the best hit is kept only above a documented confidence (crawler/enrich/matching.py), with
its MBID, ISRCs, score and time. It runs as a Scrapy crawl with the project's settings, so
it is paced (one request a second on musicbrainz.org) and polite like every other crawl.
"""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.settings import Settings

from crawler.cli._settings import add_settings_option, command_settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "enrich",
        help="find MusicBrainz recordings (MBIDs, ISRCs) for the stored tracks",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("service", choices=["musicbrainz"])
    parser.add_argument("--database", help="store URL (default: the DATABASE_URL setting)")
    parser.add_argument("--api-url", help="web service root (sets MUSICBRAINZ_API_URL)")
    parser.add_argument("--limit", type=int, help="look up at most this many tracks")
    parser.add_argument(
        "--min-score", type=float, help="accept matches at or above this (ENRICH_MIN_SCORE)"
    )
    parser.add_argument(
        "--retry",
        action="store_true",
        help="ask again for tracks an earlier run found no good match for",
    )
    add_settings_option(parser, "set a crawler setting, as with scrapy -s")
    parser.set_defaults(func=run)


def settings_for(args: argparse.Namespace) -> Settings:
    settings = command_settings(args.set)
    if args.database:
        settings.set("DATABASE_URL", args.database, priority="cmdline")
    if args.api_url:
        settings.set("MUSICBRAINZ_API_URL", args.api_url, priority="cmdline")
    return settings


def run(args: argparse.Namespace) -> int:
    from scrapy.crawler import CrawlerProcess

    from crawler.enrich.spider import EnrichSpider

    try:
        settings = settings_for(args)
    except ValueError as exc:
        print(exc)
        return 2
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(EnrichSpider)
    process.crawl(crawler, limit=args.limit, min_score=args.min_score, retry=args.retry)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(
        f"Looked up {stats.get('enrich/matched', 0) + stats.get('enrich/unmatched', 0)} tracks: "
        f"{stats.get('enrich/matched', 0)} matched, {stats.get('enrich/unmatched', 0)} without "
        f"a good enough match, {stats.get('enrich/failed', 0)} failed (asked again next run)"
    )
    return 1 if stats.get("enrich/failed") else 0
