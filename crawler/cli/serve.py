"""``crawler serve``: browse the store in a web browser, or query it as JSON.

It binds to 127.0.0.1 unless told otherwise: the archive is yours, and a public address
belongs behind a reverse proxy (see the README). The server only reads the store, unless
``--allow-crawls`` lets key holders start crawls (``crawler serve keys add NAME``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crawler import settings as project
from crawler.logsafe import mask_url
from crawler.settings import DATABASE_URL

if TYPE_CHECKING:
    from crawler.serve.launch import ServeOptions


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve the store as web pages and a JSON API (read-only by default)"
    )
    parser.add_argument(
        "--database",
        default=None,
        help=f"database URL (default: {mask_url(DATABASE_URL)})",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_ranged(0, 65535), default=8080, help="port (default 8080; 0: any free)"
    )
    parser.add_argument(
        "--root-path",
        default="",
        help="the path prefix a reverse proxy serves the app under (e.g. /archive)",
    )
    parser.add_argument(
        "--workers",
        type=_ranged(1, 64),
        default=1,
        help="worker processes (default 1; 4 for 2+ cores)",
    )
    parser.add_argument(
        "--rate-limit",
        default=None,
        help="N/second|minute|hour|day per API key and per client address"
        " (default: SERVE_RATE_LIMIT, unset: no limit)",
    )
    parser.add_argument(
        "--allow-crawls",
        action="store_true",
        help="let API key holders start crawls (POST /api/v1/crawls)",
    )
    parser.add_argument(
        "-s", "--set", dest="crawl_settings", action="append", default=[], metavar="NAME=VALUE",
        help="a setting of every crawl started over HTTP (the only way to lift a politeness"
        " rule or the private-address guard for them)",
    )  # fmt: skip
    parser.add_argument(
        "--jobs-dir", default="data/serve-jobs", help="logs of crawls started over HTTP"
    )
    parser.set_defaults(func=run)
    commands = parser.add_subparsers(dest="serve_command", metavar="keys")
    keys = commands.add_parser("keys", help="API keys: add NAME, list, revoke NAME")
    keys.add_argument("action", choices=["add", "list", "revoke"])
    keys.add_argument("name", nargs="?", help="the key's name (a person, a service)")
    keys.set_defaults(func=run_keys)


def _ranged(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (uvicorn took port 99999
    and said it was running there)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not from {low} to {high}")
        return value

    return parse


def _database(args: argparse.Namespace) -> str:
    return str(args.database or DATABASE_URL)


def run_keys(args: argparse.Namespace) -> int:
    from crawler.serve.keys import KeyProblem, add_key, list_keys, revoke_key
    from crawler.store.db import StoreUnavailable, existing_store

    if args.action != "list" and not args.name:
        print(f"crawler serve keys {args.action}: a NAME is needed", file=sys.stderr)
        return 2
    try:  # the store crawler serve would serve: a misspelt path creates none
        sessions = existing_store(_database(args))
    except StoreUnavailable as exc:
        print(f"crawler serve keys: {exc}", file=sys.stderr)
        return 2
    try:
        with sessions.begin() as db:
            if args.action == "add":
                key = add_key(db, args.name)
                print(key)
                print(f"key {args.name!r} added: it is shown once, keep it", file=sys.stderr)
            elif args.action == "revoke":
                done = revoke_key(db, args.name)
                print(f"key {args.name!r} {'revoked' if done else 'was revoked already'}",
                      file=sys.stderr)  # fmt: skip
            else:
                for row in list_keys(db):
                    state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "live"
                    print(f"{row.name}\t{row.created_at:%Y-%m-%d %H:%M}\t{state}")
    except KeyProblem as exc:
        print(f"crawler serve keys: {exc}", file=sys.stderr)
        return 1
    return 0


def _options(args: argparse.Namespace) -> ServeOptions:
    from crawler.serve.launch import ServeOptions

    crawl_settings = {}
    for item in args.crawl_settings:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"-s wants NAME=VALUE, not {item!r}")
        crawl_settings[name.strip()] = value
    rate = args.rate_limit or os.environ.get("SERVE_RATE_LIMIT") or project.SERVE_RATE_LIMIT
    if rate:
        from crawler.serve.ratelimit import parse_rate

        parse_rate(rate)  # a wrong one stops the start, not the first request
    return ServeOptions(
        database=_database(args), allow_crawls=args.allow_crawls, rate_limit=rate or None,
        crawl_settings=crawl_settings, jobs_dir=args.jobs_dir,
        scrapyd_url=os.environ.get("SCRAPYD_URL") or project.SCRAPYD_URL,
        scrapyd_project=os.environ.get("SCRAPYD_PROJECT") or project.SCRAPYD_PROJECT,
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from crawler.serve.launch import ENV, build_app
        from crawler.serve.store import StoreMissing, open_store
    except ImportError as exc:
        from crawler.extras import install_hint

        print(f"crawler serve: {exc.name} is missing: {install_hint('serve')}", file=sys.stderr)
        return 2
    from crawler.extras import MissingExtra
    from crawler.store.db import describe_store_error

    try:
        options = _options(args)
        # Checked and migrated once here, before any worker starts
        open_store(options.database).kw["bind"].dispose()
    except (StoreMissing, ValueError) as exc:
        print(f"crawler serve: {exc}", file=sys.stderr)
        return 2
    except MissingExtra:
        raise  # the command line says which extra to install
    except Exception as exc:  # a server that does not answer, a URL that is not one
        print(f"crawler serve: {describe_store_error(_database(args), exc)}", file=sys.stderr)
        return 2
    common: dict[str, Any] = {
        "host": args.host, "port": args.port, "root_path": args.root_path,
        "proxy_headers": True, "forwarded_allow_ips": "127.0.0.1", "log_level": "info",
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="crawler-serve-") as shared:
        # Shared by the workers, removed at exit: the answers they computed, and with
        # several of them the rate limit's buckets (one worker keeps its own in memory)
        options.answers_dir = os.path.join(shared, "answers")
        try:
            if args.workers > 1:
                options.rate_limit_file = os.path.join(shared, "ratelimit.sqlite")
                os.environ[ENV] = options.to_env()
                uvicorn.run(
                    "crawler.serve.launch:app_from_environment", factory=True,
                    workers=args.workers, **common,
                )  # fmt: skip
            else:
                uvicorn.run(build_app(options), **common)
        except SystemExit as exc:
            if exc.code != 3:  # uvicorn's "could not start", 3 here means "partial"
                raise
            print(f"crawler serve: could not start on {args.host}:{args.port} (the error "
                  "above says why: the port in use?)", file=sys.stderr)  # fmt: skip
            return 1
    return 0
