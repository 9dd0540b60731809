"""Reading many files in reader processes, while the crawl process stores what they read.

Reading a saved page or an export is pure and CPU-bound, and so is storing it: with the
reading moved to other processes, a large import keeps every core busy instead of one.
The first files are read in the crawl process itself, so small imports never pay for
starting processes. A reader process that dies (a parser crashing on a hostile file)
is not fatal: the rest is read in the crawl process.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain, islice
from operator import attrgetter
from pathlib import Path
from typing import Any

from crawler.exports import UnreadableFile, read_path
from crawler.items import SET_FIELDS, TRACK_FIELDS, DJSet, TrackEntry, mark_tracks_seen, tracks_seen
from crawler.normalize import normalize_set
from crawler.store.identity import content_key
from crawler.store.sets import hash_values, keep_prepared

__all__ = ["FileResult", "default_processes", "read_ahead", "read_files"]

logger = logging.getLogger(__name__)

SERIAL_FIRST = 32
"""Files read in the crawl process before reader processes are started."""
BATCH = 32
"""Files per task sent to a reader process."""
IN_FLIGHT = 24
"""Batches per reader process sent ahead: enough that readers keep working while the
crawl process finishes starting up (about a second) and while it stores a batch of sets,
few enough that memory stays flat (a few MB of read sets)."""
READER_NICENESS = 10
"""How much lower reader processes run than the crawl process. The crawl process is the
one that stores, and storing is what an import waits for; readers read ahead within
``IN_FLIGHT`` batches, so they lose nothing by yielding the CPU to it."""


@dataclass
class FileResult:
    path: Path
    sets: list[DJSet]
    error: str | None = None
    """Why the file could not be read (None when it was)."""
    crashed: str | None = None
    """A reader's traceback, when a reader failed rather than refused the file."""


def default_processes() -> int:
    """Reader processes when ``IMPORT_PROCESSES`` is not set: one per core (the crawl
    process mostly waits on them or on the database), at most 4; none on one core."""
    cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(4, cores)


def _read(path: Path, max_bytes: int, max_tracks: int = 0) -> FileResult:
    try:
        return FileResult(path, read_path(path, max_bytes=max_bytes, max_tracks=max_tracks))
    except UnreadableFile as exc:
        return FileResult(path, [], exc.reason)
    except Exception as exc:  # a reader bug: report it, keep importing
        reason = f"reader error: {type(exc).__name__}: {exc}"
        return FileResult(path, [], reason, crashed=traceback.format_exc())


def _read_batch(paths: list[Path], max_bytes: int, max_tracks: int = 0) -> list[FileResult]:
    return [_read(p, max_bytes, max_tracks) for p in paths]


# What crosses between processes. Sets travel as plain tuples: unpickling dataclasses cost
# the crawl process as much as reading the file had cost the reader. They are normalized
# in the reader process too (with the same normalize_set), and marked so that the crawl
# process's NormalizePipeline does not do it again.
_PackedSet = tuple[bool, tuple[Any, ...], list[tuple[Any, ...]], int, tuple[str, str | None] | None]
"""Whether normalized, the set's fields but its tracks (in order), each track's fields, how
many tracks the source listed, and its content hash and content key (when normalized)."""
_Packed = tuple[Path, list[_PackedSet], str | None, str | None]


# One C call each, reading the fields in order (a generator of getattr per field cost
# as much as the rest of packing).
_set_values = attrgetter(*(f for f in SET_FIELDS if f != "tracks"))
_track_values = attrgetter(*TRACK_FIELDS)


def _pack(djset: DJSet) -> _PackedSet:
    seen = tracks_seen(djset)  # before normalizing, which may copy the set
    try:
        djset, done = normalize_set(djset), True
    except Exception:  # the pipeline normalizes it again, and reports the failure
        done = False
    head, tracks = _set_values(djset), [_track_values(t) for t in djset.tracks]
    # The store's hashing of a normalized set, done here rather than in the crawl process
    # (which the import waits for); the store uses it only while the set is unchanged.
    prepared = None
    if done:
        with contextlib.suppress(Exception):  # the store hashes it, and reports what is wrong
            prepared = (hash_values(head, tracks), content_key(djset))
    return (done, head, tracks, seen, prepared)


def _unpack(packed: _PackedSet) -> DJSet:
    done, head, tracks, seen, prepared = packed
    if prepared is None:
        # head holds every field but tracks, which mypy cannot tell from a tuple[Any, ...]
        djset = DJSet(*head, tracks=[TrackEntry(*t) for t in tracks])  # type: ignore[misc]
    else:
        # The values hashed are kept to tell whether the set changed since: the set gets
        # lists of its own, so that one changed in place is not changed in both.
        djset = DJSet(
            *_own_lists(head, _SET_LISTS),
            tracks=[TrackEntry(*_own_lists(t, _TRACK_LISTS)) for t in tracks],
        )  # type: ignore[misc]
        keep_prepared(djset, head, tracks, *prepared)
    mark_tracks_seen(djset, seen)
    djset.notes.normalized = done  # the crawl's NormalizePipeline passes it on as it is
    return djset


def _list_fields(cls: type[Any], names: tuple[str, ...]) -> tuple[int, ...]:
    fields = cls.__dataclass_fields__
    return tuple(i for i, name in enumerate(names) if fields[name].default_factory is list)


_SET_LISTS = _list_fields(DJSet, tuple(f for f in SET_FIELDS if f != "tracks"))
_TRACK_LISTS = _list_fields(TrackEntry, TRACK_FIELDS)


def _own_lists(values: tuple[Any, ...], positions: tuple[int, ...]) -> list[Any]:
    copied = list(values)
    for i in positions:
        if type(copied[i]) is list:
            copied[i] = copied[i].copy()
    return copied


def _read_packed(paths: list[Path], max_bytes: int, max_tracks: int = 0) -> list[_Packed]:
    results = _read_batch(paths, max_bytes, max_tracks)
    return [(r.path, [_pack(s) for s in r.sets], r.error, r.crashed) for r in results]


def _unpacked(packed: list[_Packed]) -> list[FileResult]:
    return [FileResult(path, [_unpack(s) for s in sets], error, crashed)
            for path, sets, error, crashed in packed]  # fmt: skip


def read_files(
    paths: Iterable[Path],
    max_bytes: int,
    processes: int,
    serial_first: int = SERIAL_FIRST,
    max_tracks: int = 0,
) -> Iterator[FileResult]:
    """Every file's result, in the order given. ``processes`` = 0, or fewer files than
    ``serial_first``, reads in this process. ``max_tracks``: see :func:`read_path`."""
    files = iter(paths)
    head = list(islice(files, serial_first))
    if processes <= 0 or len(head) < serial_first:
        for path in chain(head, files):
            yield _read(path, max_bytes, max_tracks)
        return
    files = chain(head, files)
    context = _context()
    logger.info(
        "Reading the rest with %d reader processes (%s)", processes, context.get_start_method()
    )
    reader = ProcessPoolExecutor(processes, mp_context=context, initializer=_yield_to_the_crawl)
    with reader as pool:
        window: deque[tuple[list[Path], Future[list[_Packed]]]] = deque()
        broken = False
        while True:
            # Keep a bounded number of batches in flight: memory stays flat however
            # many files there are.
            while not broken and len(window) < processes * IN_FLIGHT:
                batch = list(islice(files, BATCH))
                if not batch:
                    break
                try:
                    window.append((batch, pool.submit(_read_packed, batch, max_bytes, max_tracks)))
                except BrokenProcessPool:
                    broken = True
                    window.append((batch, _failed()))
            if not window:
                return
            batch, future = window.popleft()
            try:
                yield from _unpacked(future.result())
            except BrokenProcessPool:
                if not broken:
                    logger.warning("A reader process died; reading the rest in this process")
                broken = True
                yield from _read_batch(batch, max_bytes, max_tracks)
            if broken and not window:
                for path in files:
                    yield _read(path, max_bytes, max_tracks)
                return


def read_ahead(results: Iterator[FileResult]) -> Iterator[FileResult]:
    """Start reading now (reader processes take their first batches while the caller
    goes on starting up), and give every result back, the first one included."""
    first = next(results, None)
    return iter(()) if first is None else chain([first], results)


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` while this process has a single thread (the usual case in an import: it
    starts in well under a second, with everything already imported); ``forkserver``
    otherwise, since forking a process with threads can copy a held lock."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["crawler.exports"])
    return context


def _failed() -> Future[list[_Packed]]:
    future: Future[list[_Packed]] = Future()
    future.set_exception(BrokenProcessPool("reader processes are gone"))
    return future


def _yield_to_the_crawl() -> None:
    """The reader processes' initializer: run below the crawl process."""
    with contextlib.suppress(OSError):  # a platform or sandbox that refuses: same speed
        os.nice(READER_NICENESS)
