"""The spool: sets that could not be stored yet, kept on disk until they are.

A set that the store refuses (database down, a driver error) is appended to a JSON Lines
file and fsynced before the crawl moves on, so neither an outage nor a kill -9 loses it.
The files live in ``SPOOL_DIR/<store id>/`` (the id is a digest of ``DATABASE_URL``, so
each store has its own folder; ``store.txt`` there names the store, password masked).
Each writing process holds an exclusive lock on its own file; any file not locked belongs
to a process that has ended, and is replayed (stored, then deleted) by the next crawl or
import of the same store, or by ``python -m crawler store replay``.

Replaying is idempotent: sets are upserted by URL, so a file replayed twice, or replayed
after a crash half-way through, stores every set exactly once.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from crawler.items import DJSet, TrackEntry
from crawler.logsafe import mask_url

__all__ = ["Spool", "from_json", "spool_folder", "to_json"]

logger = logging.getLogger(__name__)

_SET_FIELDS = {f.name for f in dataclasses.fields(DJSet)}
_TRACK_FIELDS = {f.name for f in dataclasses.fields(TrackEntry)}


def to_json(item: DJSet) -> str:
    return json.dumps(dataclasses.asdict(item), ensure_ascii=False, separators=(",", ":"))


def from_json(line: str) -> DJSet:
    data = json.loads(line)
    tracks = [
        TrackEntry(**{k: v for k, v in t.items() if k in _TRACK_FIELDS})
        for t in data.pop("tracks", [])
    ]
    return DJSet(**{k: v for k, v in data.items() if k in _SET_FIELDS}, tracks=tracks)


def spool_folder(spool_dir: str | Path, database_url: str) -> Path:
    """Where the sets waiting for the store at ``database_url`` are kept."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return Path(spool_dir) / digest


class Spool:
    """The spool of one store, seen from one process."""

    def __init__(self, spool_dir: str | Path, database_url: str) -> None:
        self.folder = spool_folder(spool_dir, database_url)
        self.database_url = database_url
        self._handle: IO[str] | None = None
        self.path: Path | None = None
        """This process's own file, once something was spooled."""
        self.count = 0
        """Sets in this process's file now."""

    # -- writing (this process) ----------------------------------------------------------
    def add(self, items: list[DJSet]) -> None:
        """Append ``items`` durably (written and fsynced when this returns)."""
        handle = self._own()
        handle.write("".join(to_json(item) + "\n" for item in items))
        handle.flush()
        os.fsync(handle.fileno())
        self.count += len(items)

    def take_own(self) -> list[DJSet]:
        """Everything in this process's file (which stays there until :meth:`keep_own`)."""
        if self._handle is None:
            return []
        self._handle.seek(0)
        items = [from_json(line) for line in self._handle if line.strip()]
        self._handle.seek(0, os.SEEK_END)
        return items

    def keep_own(self, items: list[DJSet]) -> None:
        """Replace this process's file by ``items`` (what is still not stored)."""
        if self._handle is None:
            return
        handle = self._handle
        handle.seek(0)
        handle.truncate()
        handle.write("".join(to_json(item) + "\n" for item in items))
        handle.flush()
        os.fsync(handle.fileno())
        self.count = len(items)

    def close(self) -> None:
        """Release this process's file; an empty one is deleted, others wait for a replay."""
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        if self.count == 0 and self.path is not None:
            self.path.unlink(missing_ok=True)
        handle.close()  # closing releases the lock

    def _own(self) -> IO[str]:
        if self._handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / "store.txt").write_text(mask_url(self.database_url) + "\n")
            self.path = self.folder / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.jsonl"
            handle = self.path.open("a+", encoding="utf-8")
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._handle = handle
        return self._handle

    # -- replaying (files of processes that have ended) ----------------------------------
    def orphans(self) -> list[Path]:
        """Spool files of this store that no running process holds, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("*.jsonl") if p != self.path)

    def replay(self, store: Callable[[list[DJSet]], list[DJSet]], batch: int = 200) -> int:
        """Store the sets of every orphan file; returns how many were stored.

        ``store`` stores a batch and returns the sets it could not store. A file is
        deleted once all its sets are stored; sets that still fail stay in it. A file
        another process holds is left alone.
        """
        stored = 0
        for path in self.orphans():
            stored += self._replay_file(path, store, batch)
        return stored

    def _replay_file(
        self, path: Path, store: Callable[[list[DJSet]], list[DJSet]], batch: int
    ) -> int:
        try:
            handle = path.open("r+", encoding="utf-8")
        except FileNotFoundError:
            return 0  # replayed by someone else just now
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # a running crawl's own spool
            items, bad = _read(handle, path)
            failed: list[DJSet] = []
            for chunk in _batches(items, batch):
                failed.extend(store(chunk))
            if failed or bad:
                handle.seek(0)
                handle.truncate()
                handle.write("".join([to_json(i) + "\n" for i in failed] + bad))
                handle.flush()
                os.fsync(handle.fileno())
            else:
                path.unlink(missing_ok=True)
        return len(items) - len(failed)

    def pending(self) -> int:
        """Sets waiting in every file of this store (this process's included)."""
        total = 0
        for path in self.folder.glob("*.jsonl") if self.folder.is_dir() else ():
            with path.open(encoding="utf-8") as handle:
                total += sum(1 for line in handle if line.strip())
        return total


def _read(handle: IO[str], path: Path) -> tuple[list[DJSet], list[str]]:
    """The sets of a spool file, and the lines that are not sets.

    A last line without its newline is a write that a kill cut short: its set was never
    taken as spooled (the page it came from was not recorded, so the next crawl fetches
    it again), and it is dropped. Any other bad line is kept, never dropped.
    """
    items: list[DJSet] = []
    bad: list[str] = []
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            items.append(from_json(line))
        except (ValueError, TypeError) as exc:
            if not line.endswith("\n"):
                logger.warning("Spool file %s: dropped a last line cut short by a crash", path)
                continue
            logger.warning("Spool file %s, line %d is not a set (%s): kept", path, number, exc)
            bad.append(line)
    return items, bad


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
