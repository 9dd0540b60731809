"""Real workers (``scrapy crawl sets -s REDIS_URL=...``, subprocesses) on a loopback farm.

The farm's own request logs decide: every page fetched exactly once over all workers, no
two requests to a host closer than its Crawl-delay, and every set in the shared store.
robots.txt and /.well-known/ files are policy files, not pages: one worker fetches each and
the others wait for its verdict (tests/cluster/test_robots_store.py).
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crawler.cluster.frontier import Frontier
from crawler.cluster.keys import CrawlKeys
from crawler.devserver import LoggedRequest, LoopbackSite, Reply
from crawler.store.db import create_store_engine, upgrade
from tests.cluster.farm import HOLD_HEADER, Farm, set_page, start_worker, wait_all
from tests.conftest import run_cli

pytestmark = pytest.mark.redis

DELAYS = [0.2, 0.3, 0.4, 0.5, 0.3]
PAGES = [6, 5, 4, 3, 5]


def _settings(prefix: str, database: str, lease_timeout: float = 3.0) -> list[str]:
    _migrate(database)
    return [
        f"CLUSTER_KEY_PREFIX={prefix}",
        "IDLE_TIMEOUT=2",
        f"CLUSTER_LEASE_TIMEOUT={lease_timeout}",
        f"DATABASE_URL={database}",
        "CRAWL_DELAY_DEFAULT=0.5",
        "LOG_LEVEL=INFO",
    ]


def _migrate(database: str) -> None:
    """Create the store before the workers start: on SQLite, workers starting together would
    race to create its tables (PostgreSQL serializes them with an advisory lock)."""
    engine = create_store_engine(database)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _stored_urls(database: str) -> list[str]:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT url FROM sets"))]
    finally:
        engine.dispose()


def _logs(tmp_path: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("*.log")))


def _assert_polite_and_complete(farm: Farm, tmp_path: Path, database: str) -> None:
    counts = farm.page_counts()
    assert set(counts) == farm.all_pages(), _logs(tmp_path)
    assert farm.early() == []
    stored = _stored_urls(database)
    sets = {u for u in farm.all_pages() if "/set/" in u}
    assert sorted(stored) == sorted(sets)  # each once, whichever worker found it


def test_two_workers_fetch_every_page_once_at_each_hosts_pace(redis_url, prefix, tmp_path):
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm(DELAYS, PAGES, base=71) as farm:
        # Both started with the same seeds: the shared filter fetches each once.
        workers = [
            start_worker(
                "two",
                redis_url,
                farm.seeds,
                *_settings(prefix, database),
                log=tmp_path / f"w{i}.log",
            )
            for i in range(2)
        ]
        assert wait_all(workers, timeout=60) == [0, 0], _logs(tmp_path)
        _assert_polite_and_complete(farm, tmp_path, database)
        assert max(farm.page_counts().values()) == 1
        # robots.txt and tdmrep.json: one fetch per host for the cluster, not per worker
        assert max(farm.policy_counts().values()) == 1, farm.policy_counts()
    filtered = 0
    for i in range(2):  # both did a share: nobody hoards, nobody waits on one slow host
        log = (tmp_path / f"w{i}.log").read_text()
        assert "Frontier empty and idle" in log
        leased = re.search(r"'cluster/leased': (\d+)", log)
        assert leased is not None and int(leased.group(1)) >= 5, log[-3000:]
        if found := re.search(r"'dupefilter/filtered': (\d+)", log):
            filtered += int(found.group(1))
    # Each worker's requests go to Redis together, and whether one was a duplicate is
    # known only then: the second copy of every seed is still counted as filtered.
    assert filtered >= len(farm.seeds)


@pytest.mark.postgres
def test_three_workers_fed_by_enqueue_store_into_postgresql(
    redis_url, prefix, postgres_url, tmp_path
):
    with Farm(DELAYS, PAGES, base=72) as farm:
        fed = run_cli(
            "enqueue",
            "--redis",
            redis_url,
            "--crawl",
            "three",
            "--key-prefix",
            prefix,
            *farm.seeds,
            farm.seeds[0],
        ).check()
        assert f"{len(farm.seeds)} queued, 1 already seen" in fed.stdout
        workers = [
            start_worker(
                "three", redis_url, [], *_settings(prefix, postgres_url), log=tmp_path / f"w{i}.log"
            )
            for i in range(3)
        ]
        assert wait_all(workers, timeout=60) == [0, 0, 0], _logs(tmp_path)
        _assert_polite_and_complete(farm, tmp_path, postgres_url)
        assert max(farm.page_counts().values()) == 1
        # One worker reads each robots.txt; the others take its verdict from Redis.
        assert [len(h.site.requests("/robots.txt")) for h in farm.hosts] == [1] * len(farm.hosts)
        status = run_cli(
            "enqueue",
            "--redis",
            redis_url,
            "--crawl",
            "three",
            "--key-prefix",
            prefix,
            "--status",
        ).check()
        assert "0 request(s) queued on 0 host(s), 0 leased" in status.stdout


def _text(path):
    return path.read_text() if path.exists() else ""


def test_a_worker_killed_mid_crawl_loses_no_page(redis_url, prefix, tmp_path):
    """SIGKILL: no goodbye, leases left behind. They run out and the survivor takes them."""
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm(DELAYS, PAGES, base=73, page_latency=0.15) as farm:
        settings = _settings(prefix, database, lease_timeout=2.0)
        # The farm holds the doomed worker's set page requests: it certainly has requests
        # out when killed. It starts first, so that pages are left for it to lease.
        doomed = start_worker(
            "kill",
            redis_url,
            farm.seeds,
            *settings,
            f'DEFAULT_REQUEST_HEADERS={{"{HOLD_HEADER}": "1"}}',
            log=tmp_path / "a.log",
        )
        assert farm.wait_held(timeout=60), _logs(tmp_path)
        survivor = start_worker("kill", redis_url, farm.seeds, *settings, log=tmp_path / "b.log")
        doomed.send_signal(signal.SIGKILL)
        assert doomed.wait(timeout=10) == -signal.SIGKILL
        farm.release()
        assert wait_all([survivor], timeout=60) == [0], _logs(tmp_path)
        _assert_polite_and_complete(farm, tmp_path, database)
        # Fetched twice at most: the pages the dead worker had out (one per host).
        twice = [u for u, n in farm.page_counts().items() if n > 1]
        assert max(farm.page_counts().values()) <= 2
        assert len(twice) <= len(farm.hosts)
    assert "back in the frontier" in (tmp_path / "b.log").read_text()


def test_a_busy_worker_keeps_its_leases(redis_url, prefix, tmp_path):
    """A worker whose reactor is blocked most of the time skips housekeeping ticks; its
    leases are extended by the clock, not by counting ticks, so none runs out while its
    (slow) request is still out, and the other worker, reclaiming what ran out, fetches no
    page a second time."""
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm([0.2, 0.3], [3, 3], base=78, page_latency=2.5) as farm:
        settings = _settings(prefix, database, lease_timeout=2.0)
        busy = start_worker(
            "busy",
            redis_url,
            farm.seeds,
            *settings,
            'EXTENSIONS={"tests.cluster.busy.BusyReactor": 0}',
            log=tmp_path / "busy.log",
        )
        deadline = time.monotonic() + 40
        while sum(farm.page_counts().values()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        other = start_worker("busy", redis_url, [], *settings, log=tmp_path / "other.log")
        assert wait_all([busy, other], timeout=90) == [0, 0], _logs(tmp_path)
        _assert_polite_and_complete(farm, tmp_path, database)
        assert max(farm.page_counts().values()) == 1, farm.page_counts()
    assert "back in the frontier" not in _logs(tmp_path)


def test_retries_and_redirects_replace_their_lease(redis_url, prefix, tmp_path, client):
    """A 500 retried and a 301 followed: each replaces the request it came from in the
    frontier, in one step, so nothing is left leased and nothing is fetched for nothing."""
    answers = iter([Reply(500, "try again")])

    def flaky(_: LoggedRequest) -> Reply:
        return next(answers, Reply(200, set_page(0, 1)))

    routes = {
        "/robots.txt": Reply(200, "User-agent: *\nCrawl-delay: 0.2\n", content_type="text/plain"),
        "/": Reply(200, '<a href="/set/1">1</a> <a href="/old">old</a>'),
        "/set/1": flaky,
        "/old": Reply(301, "", headers={"Location": "/set/2"}),
        "/set/2": Reply(200, set_page(0, 2)),
    }
    database = f"sqlite:///{tmp_path}/store.db"
    with LoopbackSite("127.0.74.2", routes=routes) as site:
        worker = start_worker(
            "retry",
            redis_url,
            [site.url("/")],
            *_settings(prefix, database),
            log=tmp_path / "w.log",
        )
        assert wait_all([worker], timeout=40) == [0], _logs(tmp_path)
        paths = [r.path for r in site.requests() if r.path != "/robots.txt"]
    assert sorted(p for p in paths if not p.startswith("/.well-known/")) == [
        "/", "/old", "/set/1", "/set/1", "/set/2",
    ]  # fmt: skip
    assert sorted(_stored_urls(database)) == [site.url("/set/1"), site.url("/set/2")]
    status = Frontier(client, CrawlKeys(prefix, "retry"), 3.0).status()
    assert (status.hosts, status.leases) == (0, 0)
    log = _logs(tmp_path)
    assert "'cluster/replaced': 2" in log


def test_enqueue_skips_what_is_not_an_http_url(redis_url, prefix):
    fed = run_cli(
        "enqueue", "--redis", redis_url, "--crawl", "cli", "--key-prefix", prefix,
        "http://127.0.0.1:9/a", "ftp://example.org/x", "not a url",
    )  # fmt: skip
    assert fed.returncode == 1
    assert "1 queued, 0 already seen, 2 skipped" in fed.stdout
    assert "skipped (not an http(s) URL): ftp://example.org/x" in fed.stderr
    bad_name = run_cli("enqueue", "--redis", redis_url, "--crawl", "a b", "http://x.test/")
    assert bad_name.returncode == 2 and "crawl name" in bad_name.stderr
    reset = run_cli(
        "enqueue", "--redis", redis_url, "--crawl", "cli", "--key-prefix", prefix, "--reset",
        "--status",
    ).check()  # fmt: skip
    assert "0 request(s) queued on 0 host(s)" in reset.stdout


def test_the_idle_time_out_counts_from_the_last_activity(redis_url, prefix, tmp_path):
    """A worker started before the feed waits for it: IDLE_TIMEOUT runs from the last
    activity in the frontier, not from the worker's start or its last seed."""
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm([0.2], [3], base=75) as farm:
        settings = [*_settings(prefix, database), "IDLE_TIMEOUT=4"]
        worker = start_worker("late", redis_url, [], *settings, log=tmp_path / "w.log")
        time.sleep(3.5)  # start-up takes some of it: the feed comes near the time-out
        run_cli(
            "enqueue", "--redis", redis_url, "--crawl", "late", "--key-prefix", prefix,
            *farm.seeds,
        ).check()  # fmt: skip
        assert wait_all([worker], timeout=40) == [0], _logs(tmp_path)
        assert set(farm.page_counts()) == farm.all_pages()


def test_a_worker_stopped_early_leaves_the_frontier_to_the_others(redis_url, prefix, tmp_path):
    """SIGTERM (a clean stop) on one worker mid-crawl: it finishes or gives back what it
    holds and deletes nothing shared (scrapy-redis with SCHEDULER_PERSIST=False would
    clear the queue and the filter under the other worker)."""
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm(DELAYS, PAGES, base=76) as farm:
        settings = _settings(prefix, database)
        first = start_worker("stop", redis_url, farm.seeds, *settings, log=tmp_path / "a.log")
        other = start_worker("stop", redis_url, farm.seeds, *settings, log=tmp_path / "b.log")
        deadline = time.monotonic() + 40
        while sum(farm.page_counts().values()) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGTERM)
        # the stopped worker's own crawl is partial (exit 3); the other one finishes the work
        assert wait_all([first, other], timeout=60) == [3, 0], _logs(tmp_path)
        _assert_polite_and_complete(farm, tmp_path, database)
        assert max(farm.page_counts().values()) == 1
    assert "(shutdown)" in (tmp_path / "a.log").read_text()


def test_one_workers_429_pauses_the_host_for_all(redis_url, prefix, tmp_path):
    """Retry-After goes through the shared clock: after the 429, no worker sends to that
    host before the pause ends; then the page is fetched again, once."""
    answers = iter([Reply(429, "slow down", headers={"Retry-After": "2"})])

    def busy(_: LoggedRequest) -> Reply:
        return next(answers, Reply(200, set_page(0, 3)))

    routes: dict[str, Reply | Callable[[LoggedRequest], Reply]] = {
        "/robots.txt": Reply(200, "User-agent: *\nCrawl-delay: 0.2\n", content_type="text/plain"),
        "/": Reply(200, " ".join(f'<a href="/set/{n}">{n}</a>' for n in range(1, 7))),
        **{f"/set/{n}": Reply(200, set_page(0, n)) for n in (1, 2, 4, 5, 6)},
        "/set/3": busy,
    }
    database = f"sqlite:///{tmp_path}/store.db"
    with LoopbackSite("127.0.77.2", routes=routes) as site:
        workers = [
            start_worker(
                "pause", redis_url, [site.url("/")], *_settings(prefix, database),
                log=tmp_path / f"w{i}.log",
            )
            for i in range(2)
        ]  # fmt: skip
        assert wait_all(workers, timeout=40) == [0, 0], _logs(tmp_path)
        log = sorted(site.requests(), key=lambda r: r.time)
    first_429 = next(i for i, r in enumerate(log) if r.path == "/set/3")
    assert log[first_429 + 1].time - log[first_429].time >= 2.0
    pages = sorted(r.path for r in log if r.path.startswith("/set/"))
    assert pages == ["/set/1", "/set/2", "/set/3", "/set/3", "/set/4", "/set/5", "/set/6"]


def test_a_worker_the_others_left_nothing_to_ends_ok(redis_url, prefix, tmp_path):
    """A worker started when every request was taken fetches nothing: it did its part
    (exit 0, outcome ok), where a lone crawl that made no request has failed."""
    database = f"sqlite:///{tmp_path}/store.db"
    with Farm([0.2], [2], base=79) as farm:
        first = start_worker(
            "late", redis_url, farm.seeds, *_settings(prefix, database), "IDLE_TIMEOUT=120",
            log=tmp_path / "first.log",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while set(farm.page_counts()) != farm.all_pages() and time.monotonic() < deadline:
            time.sleep(0.05)
        late = start_worker(
            "late", redis_url, [], *_settings(prefix, database), log=tmp_path / "late.log"
        )
        try:
            assert wait_all([late], timeout=60) == [0], _logs(tmp_path)
        finally:
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=30)
    log = (tmp_path / "late.log").read_text()
    assert "'cluster/leased'" not in log and "Crawl ok" in log, log[-3000:]
    assert re.search(r"'cluster/crawl_requests': [1-9]", log), log[-3000:]
