"""``crawler store replay``: store the sets waiting in the spool, now.

Crawls and imports replay the spool of their store when they start; this is the same,
by hand, for instance once a database that was away is back and no crawl is due soon.
"""

from __future__ import annotations

import argparse
import sys

from crawler.cli.export import database_url
from crawler.items import DJSet
from crawler.logsafe import mask_url, printable
from crawler.settings import DATABASE_URL, SPOOL_DIR
from crawler.store.db import describe_store_error, session_factory
from crawler.store.sets import KeyCache
from crawler.store.spool import Spool
from crawler.store.writer import StoreAway, store_batch


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("store", help="the store's spool: replay sets kept there")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    replay = actions.add_parser("replay", help="store the sets waiting in the spool")
    replay.add_argument(
        "--database", default=None, help=f"database URL (default: DATABASE_URL or {DATABASE_URL})"
    )
    replay.add_argument(
        "--spool-dir", default=SPOOL_DIR, help=f"the spool folder (default: {SPOOL_DIR})"
    )
    replay.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = database_url(args.database)
    spool = Spool(args.spool_dir, url)
    waiting = spool.pending()
    if not waiting:
        print(f"No sets waiting for {mask_url(url)} in {spool.folder}", file=sys.stderr)
        return 0
    try:
        factory = session_factory(url)
    except Exception as error:
        print(describe_store_error(url, error), file=sys.stderr)
        return 1
    cache = KeyCache()

    def refused(item: DJSet, error: Exception) -> None:
        reason = str(error).splitlines()[0] if str(error) else repr(error)
        print(f"Not stored: {printable(item.url)}: {printable(reason)}", file=sys.stderr)

    try:
        stored = spool.replay(lambda items: store_batch(factory, items, cache, refused)[1])
    except StoreAway as away:
        print(f"The store {mask_url(url)} is not answering: {printable(away)}", file=sys.stderr)
        return 1
    left = spool.pending()
    print(f"Stored {stored} of {waiting} spooled sets in {mask_url(url)}", file=sys.stderr)
    if left:
        print(f"{left} sets are still waiting in {spool.folder}", file=sys.stderr)
        return 1
    return 0
