"""``crawler crawl sets --workers N`` as a user runs it: N processes, one polite crawl.

The farm's own request logs decide, as in test_workers.py: every page once over all
workers, no gap below a host's Crawl-delay, every set stored once. Redis is a private
``redis-server`` the command starts (and stops), or the one REDIS_URL names.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import redis

from crawler.cluster.workers import worst
from tests.cluster.farm import ROOT, Farm
from tests.cluster.test_workers import _stored_urls

pytestmark = pytest.mark.redis

DELAYS = [0.3, 0.4, 0.5, 0.3]
PAGES = [5, 4, 3, 4]
_ANNOUNCED = re.compile(r"crawler: (\d+) workers sharing (a private )?Redis at (redis://[^\s,]+)")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def _command(farm: Farm, database: str, *more: str) -> list[str]:
    return [
        sys.executable, "-m", "crawler", "crawl", "sets", "--workers", "2",
        "-a", "start_urls=" + ",".join(farm.seeds),
        "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", f"DATABASE_URL={database}",
        "-s", "CRAWL_DELAY_DEFAULT=0.5", "-s", "LOG_LEVEL=INFO", *more,
    ]  # fmt: skip


def _answers(url: str) -> bool:
    host, port = url.removeprefix("redis://").split("/")[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def _said(log: str) -> str:
    """What to show of a failed command: its error lines (a worker that failed at start
    says why early in the log), then the log's end."""
    errors = [line for line in log.splitlines() if "Error" in line or line.startswith("crawler:")]
    return "\n".join(errors[-40:]) + "\n...\n" + log[-3000:]


def _check_crawl(farm: Farm, database: str, log: str) -> None:
    assert set(farm.page_counts()) == farm.all_pages(), log[-4000:]
    assert max(farm.page_counts().values()) == 1
    assert farm.early() == []
    assert sorted(_stored_urls(database)) == sorted(u for u in farm.all_pages() if "/set/" in u)
    # both did a share, each in its own process
    leased = [int(n) for n in re.findall(r"'cluster/leased': (\d+)", log)]
    assert len(leased) == 2 and min(leased) >= 3, log[-4000:]


def test_two_workers_on_a_private_redis_started_and_stopped_by_the_command(redis_url, tmp_path):
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm(DELAYS, PAGES, base=1, network="127.27") as farm:
        done = subprocess.run(
            _command(farm, database), env=_env(), capture_output=True, text=True, timeout=90
        )
        assert done.returncode == 0, _said(done.stderr)
        announced = _ANNOUNCED.search(done.stderr)
        assert announced and announced[2], done.stderr[:2000]
        assert announced[3].startswith("redis://127.0.0.1:")
        _check_crawl(farm, database, done.stderr)
    assert not _answers(announced[3])  # stopped at the end
    assert "workers' exit codes 0, 0: 0" in done.stderr


def test_two_workers_on_the_redis_named_by_redis_url(redis_url, prefix, tmp_path):
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm(DELAYS, PAGES, base=2, network="127.27") as farm:
        done = subprocess.run(
            _command(farm, database, "-s", f"CLUSTER_KEY_PREFIX={prefix}"),
            env=_env(REDIS_URL=redis_url),
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert done.returncode == 0, _said(done.stderr)
        announced = _ANNOUNCED.search(done.stderr)
        assert announced and not announced[2] and announced[3] == redis_url
        _check_crawl(farm, database, done.stderr)
    # The crawl's name was made up for this run: its frontier is gone; clocks stay shared.
    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"{prefix}:crawl:*")) == []
        assert list(client.scan_iter(match=f"{prefix}:clock:*"))
    finally:
        client.close()


@pytest.mark.slow
def test_a_second_run_keeps_each_hosts_gap_and_asks_no_robots_txt(redis_url, tmp_path):
    # The private Redis, and the shared clock's per-host records in it, end with each
    # command: the store keeps each host's last request and robots.txt for the next run.
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm([6.0], [1], base=4, network="127.27") as farm:
        for run in (1, 2):
            done = subprocess.run(
                _command(farm, database), env=_env(), capture_output=True, text=True, timeout=90
            )
            assert done.returncode == 0, (run, _said(done.stderr))
        assert farm.early() == [], farm.hosts[0].gaps()
        assert farm.policy_counts()[farm.hosts[0].site.url("/robots.txt")] == 1
        assert set(farm.page_counts().values()) == {2}  # every page once in each run


def test_sigterm_reaches_every_worker_and_the_private_redis_stops(redis_url, tmp_path):
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm([0.5] * 4, [30] * 4, base=3, network="127.27", page_latency=0.2) as farm:
        log = tmp_path / "crawl.log"
        with log.open("wb") as out:
            command = subprocess.Popen(
                _command(farm, database), env=_env(), stdout=out, stderr=subprocess.STDOUT
            )
            deadline = time.monotonic() + 30
            while sum(len(h.site.requests()) for h in farm.hosts) < 12:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.1)
            command.send_signal(signal.SIGTERM)
            code = command.wait(timeout=40)
        text = log.read_text()
        fetched = sum(farm.page_counts().values())
    announced = _ANNOUNCED.search(text)
    assert announced is not None
    assert text.count("Received SIGTERM, shutting down gracefully") == 2, text[-4000:]
    assert code == 3, text[-4000:]  # partial: stopped before the end, in both workers
    assert fetched < sum(h.pages + 1 for h in farm.hosts)
    assert not _answers(announced[3])


def test_feeds_are_refused_with_workers(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", "sets", "--workers", "2",
         "-a", "start_urls=http://127.27.9.9/", "-O", str(tmp_path / "out.jsonl")],
        env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "crawler export" in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize(
    ("codes", "expected"),
    [([0, 0], 0), ([0, 3], 3), ([3, 4], 4), ([4, 1], 1), ([0, -15], 1), ([2, 1], 2), ([], 1)],
)
def test_the_worst_exit_code_wins(codes: list[int], expected: int) -> None:
    assert worst(codes) == expected
