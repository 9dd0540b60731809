"""Fixtures of the reliability tests: a PostgreSQL server they may stop and start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.reliability.postgres import PrivatePostgres, pg_bin


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A fresh private PostgreSQL server, running; stopped and removed afterwards."""
    bin_dir = pg_bin()
    if bin_dir is None:
        message = "pg_ctl is not installed (Debian: postgresql)"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (CRAWLER_REQUIRE_SERVICES=1 makes this a failure)")
        pytest.skip(message)
    server = PrivatePostgres(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.remove()
        from crawler.store.db import _factory

        _factory.cache_clear()
