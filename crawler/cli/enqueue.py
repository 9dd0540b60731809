"""``crawler enqueue``: feed seed URLs to a cluster crawl's shared frontier in Redis.

Seeds go through the crawl's shared duplicate filter, like every request, so feeding a
URL twice (or starting several workers with the same ``-a start_urls``) fetches it once.
Their hosts become crawl hosts: workers follow links on them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request

from crawler.cluster.config import ClusterConfigError, check_crawl_name
from crawler.cluster.frontier import Frontier
from crawler.cluster.keys import CrawlKeys
from crawler.extras import require
from crawler.settings import CLUSTER_KEY_PREFIX, CLUSTER_LEASE_TIMEOUT


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "enqueue", help="feed seed URLs to a cluster crawl's shared frontier (Redis)"
    )
    parser.add_argument("--redis", required=True, metavar="URL", help="redis://host:port/db")
    parser.add_argument("--crawl", required=True, metavar="NAME", help="the crawl's name")
    parser.add_argument("urls", nargs="*", metavar="URL", help="seed URLs (http or https)")
    parser.add_argument("--file", metavar="PATH", help="more seeds, one URL per line, # comments")
    parser.add_argument("--key-prefix", default=CLUSTER_KEY_PREFIX, help=argparse.SUPPRESS)
    parser.add_argument("--status", action="store_true", help="print the frontier's state and exit")
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete the crawl's queues, leases and seen set first (a fresh crawl)",
    )
    parser.set_defaults(func=run)


def _seeds(args: argparse.Namespace) -> list[str]:
    urls = list(args.urls)
    if args.file:
        lines = Path(args.file).read_text(encoding="utf-8").splitlines()
        urls += [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    return urls


def run(args: argparse.Namespace) -> int:
    try:
        keys = CrawlKeys(args.key_prefix, check_crawl_name(args.crawl))
        urls = _seeds(args)
    except (ClusterConfigError, OSError) as exc:
        print(f"crawler enqueue: {exc}", file=sys.stderr)
        return 2
    require("cluster", "crawler enqueue")
    import redis

    client = redis.Redis.from_url(args.redis)
    try:
        client.ping()
    except redis.RedisError as exc:
        print(f"crawler enqueue: Redis at {args.redis} does not answer: {exc}", file=sys.stderr)
        return 2
    frontier = Frontier(client, keys, CLUSTER_LEASE_TIMEOUT)
    try:
        if args.reset:
            print(f"reset crawl {keys.crawl!r}: {frontier.reset()} key(s) deleted")
        if args.status:
            _print_status(frontier)
            return 0
        return _enqueue(frontier, urls)
    finally:
        client.close()


def _enqueue(frontier: Frontier, urls: list[str]) -> int:
    from crawler.cluster.dupefilter import fingerprint
    from crawler.cluster.serialize import request_to_bytes

    queued = seen = bad = 0
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            print(f"skipped (not an http(s) URL): {url}", file=sys.stderr)
            bad += 1
            continue
        request = Request(url, meta={"is_start_request": True})
        payload = request_to_bytes(request)
        if frontier.add(parts.hostname, payload, fingerprint(request), seed=True):
            queued += 1
        else:
            seen += 1
    print(f"crawl {frontier.keys.crawl!r}: {queued} queued, {seen} already seen, {bad} skipped")
    return 1 if bad else 0


def _print_status(frontier: Frontier) -> None:
    status: Any = frontier.status()
    print(
        f"crawl {frontier.keys.crawl!r}: {frontier.queued()} request(s) queued on "
        f"{status.hosts} host(s), {status.leases} leased, idle for {status.idle_for:.1f} s"
    )
