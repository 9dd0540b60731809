"""``crawler reextract --warc DIR``: today's page classes over a crawl's archive, no request sent.

When a page class improves (a site changed its layout and the extraction alarm rang, a
normalization rule got better), the better data is already in the archive: this reads
every archived page of ``DIR`` (``crawler crawl ... --warc DIR``) through the page classes
of today and updates the store, as a crawl would (sets new, changed, unchanged, and gone
for archived 404/410 answers, counted in the same summary line). It runs the ``exports``
spider over the folder's WARC files: nothing is fetched from any site.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crawler.archive.reader import warc_files
from crawler.cli.crawl import run_scrapy


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "reextract",
        help="re-read a crawl's WARC archive with today's page classes (no request sent)",
        description=__doc__.splitlines()[0].replace("``", ""),
    )
    parser.add_argument("--warc", required=True, metavar="DIR", help="the archive's folder")
    parser.add_argument("--site", help="only the pages of this host (and its subdomains)")
    parser.add_argument("--database", help="database URL (default: DATABASE_URL)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.warc)
    if not folder.is_dir():
        print(f"crawler reextract: no such folder: {folder}", file=sys.stderr)
        return 2
    files = warc_files(folder)
    if not files:
        print(f"crawler reextract: no WARC file in {folder}", file=sys.stderr)
        return 2
    argv = ["crawl", "exports", "-a", "path=" + ",".join(map(str, files)), "-a", "gone=1"]
    if args.site:
        argv += ["-a", f"site={args.site}"]
    if args.database:
        argv += ["-s", f"DATABASE_URL={args.database}"]
    return run_scrapy(argv)
