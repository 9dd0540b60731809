"""What the store knows of pages, as the page book reads it before each request."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from crawler.incremental import book as book_module
from crawler.incremental.book import PageBook, PageRecord
from crawler.incremental.config import IncrementalConfig
from crawler.store.db import create_store_engine, upgrade

WHEN = datetime(2026, 11, 1, 12, 0, 0)


def _book(database: str) -> PageBook:
    return PageBook(
        IncrementalConfig(enabled=True, database_url=database, cache_max=1000, flush_seconds=0)
    )


def _store(tmp_path: Path, urls: list[str]) -> str:
    database = f"sqlite:///{tmp_path}/pages.db"
    engine = create_store_engine(database)
    upgrade(engine)
    engine.dispose()
    writer = _book(database)
    for n, url in enumerate(urls):
        writer.record(PageRecord(url, 200, WHEN, f"hash{n}", f'"e{n}"', None))
    writer.flush()
    return database


def _page_queries(ask: Any) -> int:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        ask()
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    return len([s for s in statements if "FROM pages" in s])


def test_every_hosts_pages_are_read_in_one_query(tmp_path: Path) -> None:
    urls = [f"http://127.0.10.{h}/set/{n}" for h in range(1, 6) for n in range(3)]
    book = _book(_store(tmp_path, urls))
    found: dict[str, Any] = {}

    def ask() -> None:
        for url in [*urls, "http://127.0.10.9/", "http://127.0.10.1/new"]:
            found[url] = book.known(url)

    assert _page_queries(ask) == 1
    assert found["http://127.0.10.3/set/2"].etag == '"e8"'
    assert found["http://127.0.10.9/"] is None and found["http://127.0.10.1/new"] is None
    # A page recorded in this run, on a host not asked about yet, is known from memory.
    book.record(PageRecord("http://127.0.10.8/x", 304, WHEN, None, '"x"', None))
    assert book.known("http://127.0.10.8/x").status == 304  # type: ignore[union-attr]


def test_a_large_store_is_read_host_by_host(tmp_path: Path, monkeypatch: Any) -> None:
    urls = [f"http://127.0.10.{h}/set/{n}" for h in range(1, 4) for n in range(3)]
    monkeypatch.setattr(book_module, "_LOAD_ALL_MAX", 5)  # the store holds 9: too many
    book = _book(_store(tmp_path, urls))
    found: dict[str, Any] = {}

    def ask() -> None:
        for url in urls:
            found[url] = book.known(url)

    assert _page_queries(ask) == 1 + 3  # the look at everything, then each host
    assert all(found[url] is not None for url in urls)
