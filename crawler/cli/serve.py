"""``crawler serve``: browse the store in a web browser, or query it as JSON.

It binds to 127.0.0.1 unless told otherwise: the archive is yours, and a public address
belongs behind a reverse proxy (see the README). The server only reads the store.
"""

from __future__ import annotations

import argparse
import os
import sys

from crawler.settings import DATABASE_URL


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve the store as web pages and a JSON API (read-only)"
    )
    parser.add_argument(
        "--database", default=None, help=f"database URL (default: DATABASE_URL or {DATABASE_URL})"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0: any free)")
    parser.add_argument(
        "--root-path",
        default="",
        help="the path prefix a reverse proxy serves the app under (e.g. /archive)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from crawler.serve import create_app
        from crawler.serve.store import StoreMissing
    except ImportError as exc:
        from crawler.extras import install_hint

        print(f"crawler serve: {exc.name} is missing: {install_hint('serve')}", file=sys.stderr)
        return 2
    url = args.database or os.environ.get("DATABASE_URL") or DATABASE_URL
    try:
        app = create_app(url)
    except StoreMissing as exc:
        print(f"crawler serve: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="info",
    )
    return 0
