"""``crawler crawl SPIDER [scrapy options]``: ``scrapy crawl`` with the package's settings.

An installed package has no scrapy.cfg beside it: this runs Scrapy's own command line
with ``SCRAPY_SETTINGS_MODULE=crawler.settings``, from any folder, so neither a clone nor
a project is needed. Everything after ``crawl`` is Scrapy's (``-a``, ``-s``, ``-O``, ...),
and so is the exit code (see the table in README.md).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

SETTINGS_MODULE = "crawler.settings"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "crawl",
        help="run a spider (sets, exports) with the package's settings, as scrapy crawl",
        description=__doc__.splitlines()[0].replace("``", ""),
        add_help=False,  # -h goes to Scrapy, which knows the options
    )
    parser.add_argument("scrapy_args", nargs=argparse.REMAINDER, help="as for scrapy crawl")
    parser.set_defaults(func=lambda args: run_scrapy(["crawl", *args.scrapy_args]))


def run_scrapy(argv: Sequence[str]) -> int:
    """Scrapy's command line in this process, with the package's settings module."""
    from scrapy.cmdline import execute

    os.environ["SCRAPY_SETTINGS_MODULE"] = SETTINGS_MODULE
    try:
        execute(["crawler", *argv])
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0
