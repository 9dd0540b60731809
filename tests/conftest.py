"""Shared fixtures: loopback sites, real database servers, and crawls run as users run them.

Tests that need PostgreSQL or Redis skip when the server does not answer, unless
``CRAWLER_REQUIRE_SERVICES=1`` (set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
REQUIRE_SERVICES = os.environ.get("CRAWLER_REQUIRE_SERVICES") == "1"
POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379

# The suite never writes into a developer's own store. The settings take DATABASE_URL from
# the environment, so one exported for everyday use (a production PostgreSQL, say) would
# take every crawl a test runs without naming a store of its own, as the checkout's
# data/crawler.db would without it. Set before anything imports crawler.settings; the
# crawls' subprocesses inherit it. Tests of the variable itself set their own.
_SESSION_STORE = Path(tempfile.mkdtemp(prefix="crawler-tests-"))
atexit.register(shutil.rmtree, _SESSION_STORE, ignore_errors=True)
os.environ["DATABASE_URL"] = f"sqlite:///{_SESSION_STORE / 'crawler.db'}"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_server(name: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) when a server the test needs does not answer."""
    if _answers(host, port):
        return
    message = f"{name} is not answering on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (CRAWLER_REQUIRE_SERVICES=1 makes this a failure)")
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    need_server("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    import psycopg

    name = f"crawler_test_{uuid.uuid4().hex[:12]}"
    admin = f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        from crawler.store.db import _factory

        _factory.cache_clear()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    need_server("Redis", REDIS_HOST, REDIS_PORT)
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str

    def check(self, *codes: int) -> CrawlResult:
        """The run ended with exit code 0, or one of ``codes`` (3: partial, an import that
        met files it could not read)."""
        assert self.returncode in (0, *codes), self.stderr[-5000:]
        return self


def _run(module: str, args: tuple[str, ...], cwd: Path, timeout: float) -> CrawlResult:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr)


def run_scrapy(*args: str, cwd: Path = ROOT, timeout: float = 120) -> CrawlResult:
    """``scrapy <args>`` in a subprocess, exactly as a user runs it."""
    return _run("scrapy", args, cwd, timeout)


def run_cli(*args: str, timeout: float = 120) -> CrawlResult:
    """``python -m crawler <args>`` in a subprocess."""
    return _run("crawler", args, ROOT, timeout)
