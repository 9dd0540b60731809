"""``crawler import PROGRAM [--path P] [scrapy options]``: import a DJ program's history
from where the program keeps it.

PROGRAM is serato, mixxx, engine or rekordbox. Without ``--path`` the program's default
places on this system are looked in (crawler/exports/locations.py); the folder read is
said before the import starts. Everything else is ``scrapy crawl exports``'s (``-O``,
``-s DATABASE_URL=...``), and so is the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crawler.exports.locations import NAMES, PROGRAMS, NoHistory, NoSuchPath, find_history


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import a DJ program's history (serato, mixxx, engine, rekordbox) from its folder",
        description=__doc__.splitlines()[0].replace("``", ""),
    )
    parser.add_argument("program", choices=PROGRAMS)
    parser.add_argument(
        "rest",
        nargs=argparse.REMAINDER,
        metavar="...",
        help="--path P (a folder or file of the program's), then scrapy crawl options",
    )
    parser.set_defaults(func=lambda args: run(args.program, args.rest, parser))


def split_path(rest: Sequence[str]) -> tuple[str | None, list[str]]:
    """``--path P`` (or ``--path=P``) taken out of the options; the others are Scrapy's."""
    path, others, items = None, [], iter(rest)
    for arg in items:
        if arg == "--path":
            path = next(items, None)
        elif arg.startswith("--path="):
            path = arg.split("=", 1)[1]
        else:
            others.append(arg)
    return path, others


def run(program: str, rest: Sequence[str], parser: argparse.ArgumentParser | None = None) -> int:
    from crawler.cli.crawl import run_scrapy
    from crawler.logsafe import counted  # with Scrapy: not when the CLI starts

    if rest[:1] in (["-h"], ["--help"]):  # REMAINDER takes it: it would look for a library
        if parser is not None:
            parser.print_help()
        return 0
    path, scrapy_args = split_path(rest)
    try:
        history = find_history(program, path)
    except NoHistory as exc:
        print(f"crawler import {program}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, NoSuchPath) else 1  # a typo is a usage error
    print(
        f"crawler import {program}: reading {NAMES[program]} history in {history.folder}"
        f" ({counted(len(history.files), 'file')})",
        file=sys.stderr,
    )
    paths = ",".join(str(f) for f in history.files)
    return run_scrapy(["crawl", "exports", "-a", f"path={paths}", *scrapy_args])
