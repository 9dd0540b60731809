"""``python -m crawler`` (or ``crawler``): crawls with the package's settings, and the rest.

Each module of this package is one subcommand: it defines ``register(subparsers)``, which
adds its parser and sets ``func`` to a callable taking the parsed arguments and returning
an exit code. Modules are discovered, so adding a command touches no shared list.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from collections.abc import Sequence

from crawler import __version__
from crawler.extras import MissingExtra


def plain(text: str) -> str:
    """A docstring line as help text: without reStructuredText markup."""
    return re.sub(r":\w+:`~?([^`]+)`|``([^`]+)``", lambda m: m[1] or m[2], text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crawler", description=plain(__doc__.splitlines()[0]))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["crawl"]:  # everything after it is Scrapy's, -h included
        from crawler.cli.crawl import run_scrapy

        return run_scrapy(argv)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MissingExtra as exc:
        print(f"crawler {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
