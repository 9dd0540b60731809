"""The crawl lock in the store, on SQLite and PostgreSQL: one holder, and the stale rule."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crawler.schedule.lock import try_lock
from crawler.store import session_factory
from crawler.store.locks import crawl_locks

NOW = datetime(2025, 6, 1, 12, 0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    if request.param == "sqlite":
        return session_factory(f"sqlite:///{tmp_path}/locks.db")
    return session_factory(request.getfixturevalue("postgres_url"))


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A live process that looks like a crawl (its command line says so)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "crawler"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_one_holder_at_a_time_and_release(factory: sessionmaker[Session], live_pid: int) -> None:
    first = try_lock(factory, "radio", NOW, pid=live_pid)
    assert first is not None
    assert try_lock(factory, "radio", NOW, pid=live_pid) is None
    assert try_lock(factory, "other", NOW) is not None  # locks are per crawl
    first.release()
    assert try_lock(factory, "radio", NOW) is not None


def test_a_lock_whose_process_died_on_this_machine_is_stale_at_once(
    factory: sessionmaker[Session], live_pid: int
) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass", "crawler"])
    proc.wait()
    assert try_lock(factory, "radio", NOW, pid=proc.pid) is not None
    taken = try_lock(factory, "radio", NOW + timedelta(seconds=1))
    assert taken is not None
    with factory() as session:
        assert crawl_locks(session)["radio"].owner == taken.owner
    assert taken.refresh(NOW, pid=live_pid)
    assert not try_lock(factory, "radio", NOW)  # and the new holder is live


def test_a_lock_from_another_machine_is_stale_after_its_heartbeat_stops(
    factory: sessionmaker[Session],
) -> None:
    held = try_lock(factory, "radio", NOW, pid=1234, host="elsewhere")
    assert held is not None
    soon, later = NOW + timedelta(minutes=5), NOW + timedelta(minutes=11)
    assert try_lock(factory, "radio", soon) is None
    assert held.refresh(soon)  # a heartbeat keeps it
    assert try_lock(factory, "radio", later) is None
    assert try_lock(factory, "radio", soon + timedelta(minutes=11)) is not None
    assert not held.refresh(later)  # the old holder learns it lost the lock


def test_racing_runners_get_one_lock(factory: sessionmaker[Session], live_pid: int) -> None:
    wins: list[object] = []
    barrier = threading.Barrier(8)

    def contend() -> None:
        barrier.wait()
        if (lock := try_lock(factory, "radio", NOW, pid=live_pid)) is not None:
            wins.append(lock)

    threads = [threading.Thread(target=contend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
