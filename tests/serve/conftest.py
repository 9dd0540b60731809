"""Stores filled by the real importer from the repository's fixtures, and ``crawler serve``'s
app on a real uvicorn server on loopback (port 0), over SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tests.conftest import (
    FIXTURES,
    POSTGRES_HOST,
    POSTGRES_PORT,
    ROOT,
    need_server,
    run_scrapy,
)

HERE = Path(__file__).parent
# Every real fixture the importer reads, and the hand-written transition cases.
# (fixtures/exports' own files: its sub-folders hold the DJ programs' libraries, tested apart)
IMPORTED = sorted(p for p in (FIXTURES / "exports").iterdir() if p.is_file())
IMPORTED += [FIXTURES / f for f in ("tracklists1001", "mixesdb", "textblock")]
IMPORTED.append(HERE / "fixtures")


def fill(url: str) -> None:
    """Import the fixtures into the store at ``url``, as a user does."""
    paths = ",".join(map(str, IMPORTED))
    # The fixture folders hold expected outputs (.expected.json) beside the files: refused,
    # so the import is partial (exit 3).
    run_scrapy("crawl", "exports", "-a", f"path={paths}", "-s", f"DATABASE_URL={url}").check(3)


@pytest.fixture(scope="session")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'store.db'}"
    fill(url)
    return url


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty database on the PostgreSQL server, dropped after."""
    need_server("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    import psycopg

    name = f"crawler_serve_{uuid.uuid4().hex[:12]}"
    admin = f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_store() -> Iterator[str]:
    with postgres_database() as url:
        fill(url)
        yield url


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_store")


class Served:
    """A uvicorn server running an app in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, app: Any, root_path: str = "") -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", root_path=root_path
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="session")
def base_url(store_url: str) -> Iterator[str]:
    from crawler.serve import create_app

    with Served(create_app(store_url)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@contextlib.contextmanager
def serve_command(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``python -m crawler serve --port 0 <args>`` as a user runs it, in a process of its
    own: its URL once a worker answers ``/healthz``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "serve", "--port", "0", *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        deadline, url = time.monotonic() + 60, None
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "crawler serve exited"
            if found := re.search(r"running on (http://127\.0\.0\.1:\d+)", line):
                url = found.group(1)
        assert url, "crawler serve did not say where it listens"
        # The rest of its log goes on being read, so that a full pipe never stops it
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        while True:  # with several workers, the socket listens once a worker is up
            try:
                if httpx.get(url + "/healthz", timeout=30).status_code == 200:
                    break
            except httpx.ConnectError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "no worker answers"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)
        if proc.stderr is not None:
            proc.stderr.close()
