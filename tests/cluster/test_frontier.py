"""The shared frontier's rules, straight against Redis (no crawl)."""

from __future__ import annotations

import time

import pytest

from crawler.cluster.frontier import ALL_BUSY, EMPTY, Frontier, Leased
from crawler.cluster.keys import CrawlKeys, SharedKeys

pytestmark = pytest.mark.redis


@pytest.fixture
def frontier(client, prefix) -> Frontier:
    return Frontier(client, CrawlKeys(prefix, "unit"), lease_timeout=1.0)


def _lease(frontier: Frontier, n: int) -> Leased | float:
    return frontier.lease(f"lease-{n}")


def test_each_fingerprint_is_queued_once_and_retries_skip_the_filter(frontier):
    assert frontier.add("a.test", b"page-1", "fp-1")
    assert not frontier.add("a.test", b"page-1 again", "fp-1")
    assert frontier.add("a.test", b"page-1 retried", None)
    assert frontier.queued() == 2


def test_one_request_per_host_out_at_a_time_and_hosts_spread(frontier):
    for n in range(3):
        frontier.add("a.test", f"a{n}".encode(), f"a{n}")
    frontier.add("b.test", b"b0", "b0")
    first, second = _lease(frontier, 1), _lease(frontier, 2)
    assert isinstance(first, Leased) and isinstance(second, Leased)
    assert {first.host, second.host} == {"a.test", "b.test"}
    # a.test has more queued, but its one request is out: nothing else may go.
    assert _lease(frontier, 3) == ALL_BUSY
    frontier.release(["a.test"])
    third = _lease(frontier, 4)
    assert isinstance(third, Leased) and third.host == "a.test"


def test_several_ready_hosts_leased_in_one_step_one_request_each(frontier):
    hosts = [f"{name}.test" for name in "abcdefg"]
    for host in hosts:
        for n in range(2):
            frontier.add(host, f"{host}{n}".encode(), f"{host}{n}")
    leased = frontier.lease_many("x", most=5)
    # half the seven hosts ready (the rest for other workers), one request each
    assert isinstance(leased, list) and len(leased) == 3
    assert len({lease.host for lease in leased}) == 3
    assert [lease.lease_id for lease in leased] == ["x", "x.2", "x.3"]
    assert {lease.payload for lease in leased} == {f"{r.host}0".encode() for r in leased}
    assert len(frontier.lease_many("y", most=5)) == 2  # of the four left
    assert len(frontier.lease_many("z", most=5)) == 1  # of two: one
    assert len(frontier.lease_many("w", most=5)) == 1  # the last
    assert frontier.lease_many("v", most=5) == ALL_BUSY
    assert frontier.status().leases == 7
    # each is a lease like any other: given back, its request is first in its host's queue
    assert frontier.give_back(["x.2"]) == 1
    again = frontier.lease_many("u", most=5)
    assert isinstance(again, list) and [(r.host, r.payload) for r in again] == [
        (leased[1].host, leased[1].payload)
    ]


def test_a_lease_releases_the_hosts_its_worker_is_done_with_first(frontier):
    for n in range(2):
        frontier.add("a.test", f"a{n}".encode(), f"a{n}")
        frontier.add("b.test", f"b{n}".encode(), f"b{n}")
    first, second = _lease(frontier, 1), _lease(frontier, 2)
    assert isinstance(first, Leased) and isinstance(second, Leased)
    assert _lease(frontier, 3) == ALL_BUSY
    # one step: both hosts released (no clock says wait), then the next request leased
    third = frontier.lease("lease-4", released=["a.test", "b.test"])
    assert isinstance(third, Leased) and third.host in {"a.test", "b.test"}
    fourth = _lease(frontier, 5)
    assert isinstance(fourth, Leased) and {third.host, fourth.host} == {"a.test", "b.test"}
    # a host released with nothing queued leaves the schedule
    assert frontier.lease("lease-6", released=[third.host, fourth.host]) == EMPTY


def test_a_host_is_leased_again_only_when_its_clock_allows(frontier, client, prefix):
    frontier.add("slow.test", b"p1", "p1")
    frontier.add("slow.test", b"p2", "p2")
    leased = _lease(frontier, 1)
    assert isinstance(leased, Leased)
    now = float(client.time()[0]) + client.time()[1] / 1e6
    clock = SharedKeys(prefix).clock("slow.test")
    client.hset(clock, mapping={"last_start": now, "last_done": now, "gap": 0.5})
    frontier.release(["slow.test"])
    wait = _lease(frontier, 2)
    assert isinstance(wait, float) and 0.3 < wait <= 0.5
    time.sleep(wait)
    assert isinstance(_lease(frontier, 3), Leased)


def test_an_expired_lease_returns_to_the_front_of_its_hosts_queue(frontier):
    frontier.add("a.test", b"first", "1")
    frontier.add("a.test", b"second", "2")
    taken = _lease(frontier, 1)
    assert isinstance(taken, Leased) and taken.payload == b"first"
    assert frontier.reclaim_expired() == 0
    time.sleep(1.1)  # the worker died: nobody extends the lease
    assert frontier.reclaim_expired() == 1
    again = _lease(frontier, 2)
    assert isinstance(again, Leased) and again.payload == b"first"


def test_a_live_worker_keeps_its_lease_by_extending_it(frontier):
    frontier.add("a.test", b"slow page", "1")
    taken = _lease(frontier, 1)
    assert isinstance(taken, Leased)
    for _ in range(3):
        time.sleep(0.5)
        assert frontier.extend([taken.lease_id]) == 1
    assert frontier.reclaim_expired() == 0


def test_finishing_and_giving_back(frontier):
    frontier.add("a.test", b"done", "1")
    frontier.add("b.test", b"unfinished", "2")
    done, unfinished = _lease(frontier, 1), _lease(frontier, 2)
    assert isinstance(done, Leased) and isinstance(unfinished, Leased)
    frontier.release([done.host])
    assert frontier.ack([done.lease_id]) == 1
    assert frontier.give_back([unfinished.lease_id]) == 1
    status = frontier.status()
    assert (status.hosts, status.leases) == (1, 0)
    again = _lease(frontier, 3)
    assert isinstance(again, Leased) and again.payload == b"unfinished"
    frontier.release([again.host])
    frontier.ack([again.lease_id])
    assert frontier.status().empty
    assert _lease(frontier, 4) == EMPTY


def test_a_retry_replaces_its_lease_in_one_step(frontier):
    frontier.add("a.test", b"page", "1")
    taken = _lease(frontier, 1)
    assert isinstance(taken, Leased)
    frontier.release(["a.test"])
    assert frontier.add("a.test", b"page, retry", None, front=True, finishes=taken.lease_id)
    status = frontier.status()
    assert (status.hosts, status.leases) == (1, 0)


def test_idle_time_counts_from_the_last_activity(frontier):
    frontier.add("a.test", b"page", "1")
    taken = _lease(frontier, 1)
    assert isinstance(taken, Leased)
    time.sleep(0.3)
    frontier.release(["a.test"])
    frontier.ack([taken.lease_id])
    status = frontier.status()
    assert status.empty and status.idle_for < 0.1


def test_reset_deletes_the_crawl_and_nothing_else(frontier, client, prefix):
    other = Frontier(client, CrawlKeys(prefix, "other"), lease_timeout=1.0)
    frontier.add("a.test", b"page", "1")
    other.add("a.test", b"page", "1")
    assert frontier.reset() >= 3
    assert frontier.status().hosts == 0
    assert other.status().hosts == 1
