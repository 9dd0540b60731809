"""Redis restarted (empty) in the middle of a two-worker cluster crawl.

The hosts' own request logs judge: at no moment does a host get two requests closer than
its Crawl-delay, whatever the workers believed while Redis was away or after it came back
without their clock. The crawl either completes, or stops non-zero saying why, and running
it again completes it: every set page stored, each once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crawler.store.db import create_store_engine, upgrade
from tests.cluster.farm import Farm, start_worker, wait_all
from tests.reliability.redis_server import PrivateRedis

DELAYS = [0.25, 0.3, 0.2, 0.35]
PAGES = [12, 10, 14, 9]


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.remove()


def _stored(database: str) -> list[str]:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT url FROM sets"))]
    except Exception:
        return []
    finally:
        engine.dispose()


def _workers(farm: Farm, server: PrivateRedis, database: str, tmp_path: Path, run: int) -> list:
    settings = [
        "CLUSTER_KEY_PREFIX=restart", "IDLE_TIMEOUT=2", "CLUSTER_LEASE_TIMEOUT=3",
        f"DATABASE_URL={database}", "CRAWL_DELAY_DEFAULT=0.5", "LOG_LEVEL=INFO",
    ]  # fmt: skip
    return [
        start_worker(
            "restart", server.url, farm.seeds, *settings, log=tmp_path / f"run{run}-w{i}.log"
        )
        for i in range(2)
    ]


def _logs(tmp_path: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-2500:] for p in sorted(tmp_path.glob("*.log")))


@pytest.mark.redis
@pytest.mark.slow
def test_redis_restarted_mid_crawl_never_lets_a_request_go_early_and_a_rerun_completes(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path}/store.db"
    engine = create_store_engine(database)
    upgrade(engine)
    engine.dispose()
    with Farm(DELAYS, PAGES, base=5, network="127.123", page_latency=0.02) as farm:
        sets = {u for u in farm.all_pages() if "/set/" in u}
        workers = _workers(farm, private_redis, database, tmp_path, 1)
        deadline = time.monotonic() + 60
        while len(_stored(database)) < 8:
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers)
            time.sleep(0.05)
        private_redis.stop()
        time.sleep(1.0)
        private_redis.start()  # empty: the frontier, the filter and the clock are gone
        codes = wait_all(workers, timeout=90)
        assert farm.early() == [], _logs(tmp_path)
        stored = _stored(database)
        if codes != [0, 0] or sorted(stored) != sorted(sets):
            # it stopped: non-zero, saying why; the rerun completes it
            assert all(code != 0 for code in codes), (codes, _logs(tmp_path))
            said = [p.read_text(errors="replace") for p in tmp_path.glob("run1-*.log")]
            assert all("Redis lost this crawl's shared state" in log for log in said)
            codes = wait_all(_workers(farm, private_redis, database, tmp_path, 2), timeout=90)
            assert codes == [0, 0], _logs(tmp_path)
            assert farm.early() == [], _logs(tmp_path)
        stored = _stored(database)
        assert sorted(stored) == sorted(sets), _logs(tmp_path)
