"""``crawler export``: write the JSON, JSON Lines or CSV feed from what is stored.

It uses the same exporters as ``scrapy crawl ... -O``, so a feed written now is the same
as the one a crawl would have written. ``-o -`` writes JSON Lines to standard output
(unless ``--format`` says otherwise) and stops quietly when the reader closes the pipe.
It only reads: a store that is not there is an error (exit 1), never created empty.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scrapy.exporters import JsonItemExporter, JsonLinesItemExporter

from crawler.feeds import TrackCsvItemExporter
from crawler.items import DJSet, ai_use_of, captured_at
from crawler.logsafe import mask_url
from crawler.settings import DATABASE_URL
from crawler.store import iter_sets
from crawler.store.db import StoreUnavailable, existing_store

EXPORTERS: dict[str, Any] = {
    "json": JsonItemExporter,
    "jsonl": JsonLinesItemExporter,
    "csv": TrackCsvItemExporter,
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("export", help="write a feed (json, jsonl, csv) from the store")
    parser.add_argument(
        "--database",
        default=None,
        help=f"database URL (default: {mask_url(DATABASE_URL)})",
    )
    parser.add_argument(
        "--format",
        choices=sorted(EXPORTERS),
        default=None,
        help="default: from the file name; jsonl for -o -",
    )
    parser.add_argument(
        "-o", "--output", required=True, help="output file, or - for standard output"
    )
    parser.add_argument(
        "--without-gone", action="store_true", help="leave out sets marked gone from their site"
    )
    parser.add_argument(
        "--respect-ai-use",
        action="store_true",
        help="leave out sets whose site reserved them from AI training (Content-Usage "
        "train-ai=n, Content-Signal ai-train=no, TDMRep)",
    )
    parser.set_defaults(func=run)


def with_provenance(item: DJSet) -> DJSet | dict[str, Any]:
    """A set as a JSON feed shows it: its fields, then what applied to its page (its
    AI-use preferences) and, for a set read from a web archive, its capture date; a set
    without either is written as a crawl's feed writes it."""
    ai_use, when = ai_use_of(item), captured_at(item)
    if ai_use is None and when is None:
        return item
    extra: dict[str, Any] = {"ai_use": ai_use} if ai_use is not None else {}
    if when is not None:
        extra["captured_at"] = when.isoformat()
    return {**asdict(item), **extra}


def database_url(given: str | None) -> str:
    return given or DATABASE_URL


def run(args: argparse.Namespace) -> int:
    to_stdout = args.output == "-"
    fmt = args.format or ("jsonl" if to_stdout else Path(args.output).suffix.lstrip(".").lower())
    if fmt not in EXPORTERS:
        print(f"crawler export: say --format ({', '.join(sorted(EXPORTERS))})", file=sys.stderr)
        return 2
    try:
        factory = existing_store(database_url(args.database))
    except StoreUnavailable as exc:
        print(f"crawler export: {exc}", file=sys.stderr)
        return 1
    try:
        out = sys.stdout.buffer if to_stdout else open(args.output, "wb")  # noqa: SIM115
    except OSError as exc:
        print(f"crawler export: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 1
    count = 0
    try:
        exporter = EXPORTERS[fmt](out, encoding="utf-8", ensure_ascii=False)
        exporter.start_exporting()
        with factory() as session:
            items = iter_sets(
                session, include_gone=not args.without_gone, respect_ai_use=args.respect_ai_use
            )
            for item in items:
                exporter.export_item(item if fmt == "csv" else with_provenance(item))
                count += 1
        exporter.finish_exporting()
        out.flush()
    except BrokenPipeError:
        # The reader (head, less) has what it wanted. Python would complain again when it
        # flushes standard output at exit: point that at /dev/null (Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if not to_stdout:
            out.close()
    print(f"Exported {count} sets to {args.output} ({fmt})", file=sys.stderr)
    return 0
