"""``crawler demo``: serve the bundled demo site on loopback and crawl it, as a user would.

It runs the real ``crawler crawl sets`` (``scrapy crawl sets`` with the package's settings)
against a real HTTP server serving the demo site shipped in the package, stores into
``data/crawler.db`` in the working folder and writes the JSON and CSV feeds there, then
prints what it did. It works the same from a clone and from an installed wheel.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select

from crawler.devserver import LoopbackSite
from crawler.store import session_factory
from crawler.store.models import Artist, DJSetRow, SetEntry, Track

DEMO_SITE = Path(str(resources.files("crawler") / "demo_site"))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="crawl the bundled demo site into data/")
    parser.add_argument("--data", default="data", help="folder for the database and feeds")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not DEMO_SITE.is_dir():  # a zipped install: the site must be files to be served
        print(f"crawler demo: the demo site is not a folder ({DEMO_SITE})", file=sys.stderr)
        return 2
    data = Path(args.data).resolve()
    data.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{data / 'crawler.db'}"
    feeds = [data / "sets.json", data / "sets.csv"]
    with LoopbackSite("127.0.0.1", root=DEMO_SITE) as site:
        print(f"Demo site: {site.url('/')} (robots.txt: Crawl-delay 0.2, /private/ disallowed)")
        command = [
            sys.executable, "-m", "crawler", "crawl", "sets",
            "-a", f"start_urls={site.url('/')}",
            "-s", f"DATABASE_URL={database}",
            "-s", "ALLOW_PRIVATE_HOSTS=True",
            "-s", "LOG_LEVEL=WARNING",
        ]  # fmt: skip
        for feed in feeds:
            command += ["-O", str(feed)]
        print("$ crawler crawl sets -a start_urls=... -O data/sets.json -O data/sets.csv")
        proc = subprocess.run(command)
        if proc.returncode:
            return proc.returncode
        fetched = sorted({r.path for r in site.requests()})

    with session_factory(database)() as session:
        n = {m.__tablename__: session.scalar(select(func.count()).select_from(m))
             for m in (DJSetRow, SetEntry, Track, Artist)}  # fmt: skip
    sets = json.loads(feeds[0].read_text(encoding="utf-8"))
    print(f"\nFetched {len(fetched)} paths: {', '.join(fetched)}")
    print(f"Stored in {database}: {n['sets']} sets, {n['set_entries']} track entries, "
          f"{n['tracks']} distinct tracks, {n['artists']} artists")  # fmt: skip
    for s in sets:
        print(f"  - {s['title']} ({', '.join(s['djs']) or 'unknown DJ'}, {s['date']}): "
              f"{len(s['tracks'])} tracks")  # fmt: skip
    print(f"Feeds: {feeds[0]}  {feeds[1]}")
    return 0
