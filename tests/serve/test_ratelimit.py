"""The rate limit holds across the workers of one ``crawler serve``: their buckets are in
one SQLite file, so a client whose requests land on different workers gets the limit once."""

from __future__ import annotations

from pathlib import Path

import httpx

from crawler.serve.ratelimit import FileBuckets, MemoryBuckets, parse_rate
from tests.serve.conftest import serve_command
from tests.serve.test_crawls import add_key, auth, store_copy


def test_workers_sharing_a_file_share_each_bucket(tmp_path: Path) -> None:
    limit = parse_rate("4/minute")  # a token every 15 s
    one, two = (FileBuckets(limit, tmp_path / "buckets.sqlite") for _ in range(2))
    # Two workers, one client: 4 tokens between them, then a wait of up to 15 s
    taken = [worker.take("addr:10.0.0.1", now=100.0) for worker in (one, two) * 3]
    assert taken[:4] == [0.0] * 4
    assert all(14.9 < wait <= 15.0 for wait in taken[4:])
    assert two.take("addr:10.0.0.2", now=100.0) == 0.0  # another client has its own
    assert one.take("addr:10.0.0.1", now=115.0) == 0.0  # refilled at the limit's pace
    assert two.take("addr:10.0.0.1", now=115.0) > 0
    # A clock set back refills nothing until it catches up
    assert one.take("addr:10.0.0.2", now=50.0) == 0.0
    assert [two.take("addr:10.0.0.2", now=100.0) for _ in range(3)][1:] == [0.0, 15.0]
    # The same answers as one worker's buckets in memory
    memory = MemoryBuckets(limit)
    assert [memory.take("c", now=100.0) for _ in range(6)] == taken


def test_the_limit_holds_across_the_workers_of_one_server(
    sqlite_store: str, tmp_path: Path
) -> None:
    url = store_copy(sqlite_store, tmp_path)
    key = add_key(url, "dave")
    limit = 10
    with serve_command(
        "--database", url, "--workers", "2", "--rate-limit", f"{limit}/hour"
    ) as base:
        for headers in ({}, auth(key)):  # by client address, then by key
            # Each request on a connection of its own, so that both workers take some
            answers = [httpx.get(base + "/api/v1/stats", headers=headers, timeout=30)
                       for _ in range(2 * limit)]  # fmt: skip
            codes = [a.status_code for a in answers]
            assert codes == [200] * limit + [429] * limit, codes
            assert all(int(a.headers["retry-after"]) >= 1 for a in answers[limit:])
        assert httpx.get(base + "/healthz", timeout=30).status_code == 200
