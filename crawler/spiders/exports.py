"""``scrapy crawl exports -a path=PATH[,PATH...]``: import saved pages and DJ-software exports.

Local files need no downloader: ``start()`` reads each one and yields its sets straight
to the item pipelines (the same NormalizePipeline and StorePipeline as live crawls), so
an import runs at the speed of parsing. Folders are read recursively, in name order;
hidden files and folders (``.git``, ``._x`` resource forks) are skipped. A file that
cannot be read, or holds no set, is logged at WARNING when it happens, counted in
``import/errors`` and listed again, with its reason, when the import ends; it never stops
the import. A set already stored from another file or page is linked, not stored twice
(``crawler.store.identity``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler

from crawler import _engine
from crawler.archive.reader import WEB_ARCHIVE_SUFFIXES, is_web_archive
from crawler.exports import EXTENSIONS, UnreadableFile, reads_name
from crawler.exports.discogs_dump import DumpReader, is_dump
from crawler.exports.locations import NAMES, PROGRAMS, NoHistory, find_history
from crawler.logsafe import counted, printable
from crawler.spiders._arguments import SpiderArgumentError, check_arguments
from crawler.spiders._base import PoliteSpider
from crawler.spiders._pool import FileResult, default_processes, read_ahead, read_files

PROGRESS_LOG_SECONDS = 10.0
NOT_EXPORTS_NAMED = 50
"""The skipped files named on the import's one line about them (the rest are counted)."""


def iter_files(
    roots: list[Path],
    max_depth: int = 64,
    on_skip: Callable[[Path, str], None] | None = None,
    wanted: Callable[[Path], bool] | None = None,
    on_unwanted: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """Every regular, non-hidden file under the given files and folders, in name order
    (each folder's files, then its subfolders, as ``os.walk`` gives them).

    A file found in a folder that ``wanted`` refuses goes to ``on_unwanted`` instead; a
    file named in ``roots`` is always given (whoever named it wants it read).

    The walk keeps its own stack, not Python's: a tree thousands of folders deep is read
    down to ``max_depth`` and the rest reported, never a RecursionError. A folder reached
    twice (a symlink loop) is read once; a folder that cannot be listed is reported. Each
    skip goes to ``on_skip(path, reason)`` and the walk goes on.
    """
    skip = on_skip or (lambda path, reason: None)
    read: set[tuple[int, int]] = set()
    for path in _walk(roots, max_depth, skip, wanted, on_unwanted):
        try:
            info = path.stat()
        except OSError:
            yield path  # reported by read_path like any bad file
            continue
        if (info.st_dev, info.st_ino) not in read:  # a file named twice, or in a folder
            read.add((info.st_dev, info.st_ino))  # named too, is read once
            yield path


def _walk(
    roots: list[Path],
    max_depth: int,
    skip: Callable[[Path, str], None],
    wanted: Callable[[Path], bool] | None,
    on_unwanted: Callable[[Path], None] | None,
) -> Iterator[Path]:
    for root in roots:
        if root.is_file() or not root.exists():
            yield root  # a missing path is reported by read_path like any bad file
            continue
        seen: set[tuple[int, int]] = set()
        stack = [(root, 0)]
        while stack:
            folder, depth = stack.pop()
            try:
                info = folder.stat()
                with os.scandir(folder) as scan:
                    entries = sorted((e for e in scan if not e.name.startswith(".")),
                                     key=lambda e: e.name)  # fmt: skip
            except OSError as exc:
                skip(folder, f"cannot list the folder: {exc.strerror or exc}")
                continue
            if (info.st_dev, info.st_ino) in seen:
                skip(folder, "a folder already read (symlink loop)")
                continue
            seen.add((info.st_dev, info.st_ino))
            folders = [Path(e.path) for e in entries if _is_dir(e)]
            yield from _wanted_files(entries, wanted, on_unwanted)
            if folders and depth >= max_depth:
                skip(folder, f"subfolders deeper than {max_depth} levels (IMPORT_MAX_DEPTH)")
                continue
            stack.extend((sub, depth + 1) for sub in reversed(folders))


def _wanted_files(
    entries: list[os.DirEntry[str]],
    wanted: Callable[[Path], bool] | None,
    on_unwanted: Callable[[Path], None] | None,
) -> Iterator[Path]:
    """The files of one folder's entries that ``wanted`` takes; the others go to
    ``on_unwanted``."""
    for entry in entries:
        if _is_dir(entry):
            continue
        if wanted is None or wanted(Path(entry.path)):
            yield Path(entry.path)
        elif on_unwanted is not None:
            on_unwanted(Path(entry.path))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows symlinks: a linked folder is read (once)
    except OSError:
        return False


def _is_read(path: Path) -> bool:
    """Whether a file found in a folder is one the importer reads: an export or saved page
    (its readers' endings), or a web archive (``.warc``, ``.warc.gz``, ``.wacz``)."""
    return reads_name(path) or is_web_archive(path)


def _set_aside_dumps(
    files: Iterator[Path], dumps: list[Path], archives: list[Path] | None = None
) -> Iterator[Path]:
    for path in files:
        if archives is not None and is_web_archive(path) and path.is_file():
            archives.append(path)
        elif path.is_file() and is_dump(path):
            dumps.append(path)
        else:
            yield path


class _DumpProgress:
    """A tqdm bar over a dump's bytes on a terminal; a log line every few seconds otherwise."""

    def __init__(self, spider: ExportsSpider, reader: DumpReader) -> None:
        self.spider = spider
        self.reader = reader
        self.done = 0
        self.last_log = time.monotonic()
        self.bar: Any = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=reader.size, unit="B", unit_scale=True, file=sys.stderr, dynamic_ncols=True
            )

    def update(self) -> None:
        read = self.reader.bytes_read
        if self.bar is not None:
            self.bar.update(read - self.done)
            self.bar.set_postfix(releases=self.reader.releases, refresh=False)
        elif time.monotonic() - self.last_log >= PROGRESS_LOG_SECONDS:
            self.last_log = time.monotonic()
            self.spider.logger.info(
                "Discogs dump: %.1f %% read, %d releases",
                100 * read / max(self.reader.size, 1),
                self.reader.releases,
            )
        self.done = read

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.reader.size - self.done)
            self.bar.close()
            self.bar = None


class _Progress:
    """A tqdm bar on a terminal; a log line every few seconds otherwise."""

    def __init__(self, spider: ExportsSpider) -> None:
        self.spider = spider
        self.files = self.sets = self.errors = 0
        self.bar: Any = None
        self.last_log = time.monotonic()
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(unit=" files", file=sys.stderr, dynamic_ncols=True)

    def update(self, sets: int, error: bool) -> None:
        self.files += 1
        self.sets += sets
        self.errors += int(error)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(sets=self.sets, errors=self.errors, refresh=False)
        elif time.monotonic() - self.last_log >= PROGRESS_LOG_SECONDS:
            self.last_log = time.monotonic()
            self.log()

    def log(self) -> None:
        self.spider.logger.info(
            "Imported %s: %s, %d unreadable or without a set",
            counted(self.files, "file"),
            counted(self.sets, "set"),
            self.errors,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _history_paths(source: str, path: str | None) -> tuple[Path, ...]:
    """The files of a DJ program's history (``-a source=``), said in the log."""
    if source not in PROGRAMS:
        raise SpiderArgumentError(f"-a source={source}: one of {', '.join(PROGRAMS)}")
    try:
        history = find_history(source, path)
    except NoHistory as exc:
        raise SpiderArgumentError(str(exc).replace("\n", " ")) from exc
    logging.getLogger(__name__).info(
        "Reading %s history in %s", NAMES[source], printable(history.folder)
    )
    return history.files


class ExportsSpider(PoliteSpider):
    """Imports files: saved tracklist pages (.html, .mhtml), DJ-software exports, Discogs
    releases dumps and web archives (.warc, .warc.gz, .wacz: the pages they hold, through
    the page classes), the last two streamed after the other files, whatever their size.

    Web archives only: ``site`` keeps the pages of one host (and its subdomains); ``gone=1``
    makes an archived 404/410 mark its page's stored sets gone (``crawler reextract``).

    Arguments: ``path``, files or folders separated by commas; ``source`` (serato,
    mixxx, engine, rekordbox), the program whose history to import from its default
    places (or from ``path``), the folder read logged. Settings:
    ``IMPORT_MAX_FILE_BYTES`` (default 20 MB), files read whole above it are refused
    unread (CSV, M3U and the text exports are streamed whatever their size);
    ``IMPORT_PROCESSES`` (default: one per core, at most 4), reader processes for large
    imports, 0 to read everything in the crawl process.
    """

    name = "exports"

    def __init__(
        self, path: str | None = None, source: str | None = None, site: str | None = None,
        gone: bool | str = False, **kwargs: Any,
    ) -> None:  # fmt: skip
        check_arguments(type(self), kwargs)
        super().__init__(**kwargs)
        self.site = site
        """Web archives: only the pages of this host (or its subdomains)."""
        self.mark_gone = str(gone).strip().lower() in {"1", "true", "yes", "on"}
        """Web archives: a 404/410 marks the page's stored sets gone, as a crawl does
        (``crawler reextract``)."""
        self.archives: list[Path] = []
        self.paths = [Path(p.strip()).expanduser() for p in (path or "").split(",") if p.strip()]
        if source is not None:
            self.paths = list(_history_paths(source, path))
        if not self.paths:
            raise SpiderArgumentError("nothing to import: give -a path=FILE_OR_FOLDER[,...]")
        self.unreadable: list[tuple[str, str]] = []
        self.skipped_folders = 0
        self.not_exports: list[Path] = []
        """Files in the folders whose name is not an export's (``reads_name``): skipped."""
        self.results: Iterator[FileResult] | None = None
        self.dumps: list[Path] = []
        self.gc_threshold = gc.get_threshold()
        self._wake: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ExportsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.paths:
            # An import allocates millions of small, short-lived objects (tracks, rows):
            # with Python's default GC threshold the collector runs every few hundred of
            # them and took a fifth of a large import's time. Relaxed for the import (and
            # its reader processes), restored at its end.
            gc.set_threshold(max(spider.gc_threshold[0], 50_000), *spider.gc_threshold[1:])
            # What start-up made (modules, classes, settings) lives to the end: frozen, it
            # is not walked again by every older-generation collection, nor copied into
            # the reader processes' memory when a collection there would touch it.
            gc.freeze()
            settings = crawler.settings
            processes = settings.get("IMPORT_PROCESSES")
            processes = default_processes() if processes in (None, "") else int(processes)
            max_bytes = settings.getint("IMPORT_MAX_FILE_BYTES")
            files = iter_files(
                spider.paths, settings.getint("IMPORT_MAX_DEPTH"), spider._skipped,
                wanted=_is_read, on_unwanted=spider.not_exports.append,
            )  # fmt: skip
            # Reading starts now, while Scrapy is still starting up. Discogs dumps are
            # set aside: they are streamed (crawler/exports/discogs_dump.py), not read whole.
            files = _set_aside_dumps(files, spider.dumps, spider.archives)
            # Streamed files keep at most the cap's tracks in memory (the rest counted),
            # so NormalizePipeline's warning still tells how many the file had.
            max_tracks = settings.getint("MAX_TRACKS_PER_SET")
            results = read_files(files, max_bytes, processes, max_tracks=max_tracks)
            spider.results = read_ahead(results)
        return spider

    def _woken(self) -> None:
        """Once every set is out of ``start()``: wake the engine every 50 ms until it
        closes the spider. It would otherwise notice that the import is over only on its
        5-second heartbeat (measured: 10,000 pages took 5 s or 10 s, nothing between);
        the last sets may still wait for their batch (``STORE_FLUSH_SECONDS``)."""
        _engine.wake(self.crawler)
        self._wake = asyncio.get_running_loop().call_later(0.05, self._woken)

    async def start(self) -> AsyncIterator[Any]:
        if self.results is None:
            return
        stats = self.crawler.stats
        assert stats is not None
        progress = _Progress(self)
        inc = stats.inc_value  # looked up once: Scrapy 2.19 wraps every lookup of it
        try:
            for result in self.results:
                inc("import/files")
                if result.error is not None:
                    if result.crashed:
                        self.logger.error(
                            "Reader failed on %s:\n%s", printable(result.path), result.crashed
                        )
                    self._unreadable(result.path, result.error)
                    progress.update(0, error=True)
                    continue
                inc("import/sets", len(result.sets))
                progress.update(len(result.sets), error=False)
                for djset in result.sets:
                    yield djset
            for dump in self.dumps:
                for djset in self._stream_dump(dump):
                    yield djset
            for archive in self.archives:
                async for djset in self._stream_archive(archive):
                    yield djset
        finally:
            self._wake = asyncio.get_running_loop().call_later(0.02, self._woken)
            if self.skipped_folders:  # a failure, but of no file: not in import/errors
                stats.inc_value("import/folders_skipped", self.skipped_folders)
            self._log_not_exports()
            gc.set_threshold(*self.gc_threshold)
            gc.unfreeze()
            progress.close()
            progress.log()

    def _log_not_exports(self) -> None:
        """One INFO line naming the files skipped as not exports (``import/skipped``)."""
        if not self.not_exports:
            return
        self.crawler.stats.inc_value("import/skipped", len(self.not_exports))
        shown = ", ".join(printable(path) for path in self.not_exports[:NOT_EXPORTS_NAMED])
        more = len(self.not_exports) - NOT_EXPORTS_NAMED
        self.logger.info(
            "Skipped %d files that are not exports (their names end in none of %s): %s%s",
            len(self.not_exports),
            " ".join(sorted({e for e in EXTENSIONS if e} | set(WEB_ARCHIVE_SUFFIXES))),
            shown,
            f" and {more} more" if more > 0 else "",
        )

    def _stream_dump(self, path: Path) -> Iterator[Any]:
        """The DJ mixes of a Discogs dump, with a bar over the (compressed) bytes read."""
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("import/files")  # a file read, like any other (the outcome counts it)
        reader = DumpReader(path)
        self.logger.info("Reading the Discogs dump %s (%.1f MB)", path, reader.size / 1e6)
        progress = _DumpProgress(self, reader)
        sets = 0
        try:
            for djset in reader.sets(every=1000, tick=progress.update):
                sets += 1
                stats.inc_value("import/sets")
                yield djset
        except UnreadableFile as exc:
            self._unreadable(path, str(exc), cut=sets > 0)
        finally:
            progress.close()
            stats.inc_value("import/discogs_releases", reader.releases)
            self.logger.info(
                "Discogs dump %s: %d releases read, %d DJ mixes (%d sets: one a disc)",
                path, reader.releases, reader.mixes, sets,
            )  # fmt: skip

    async def _stream_archive(self, path: Path) -> AsyncIterator[Any]:
        """The sets of the pages a web archive holds (crawler/archive/reader.py)."""
        from crawler.archive.pages import ArchiveReading

        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("import/files")
        self.logger.info("Reading the web archive %s", path)
        reading = ArchiveReading(self.crawler, path, self.site, self.mark_gone)
        sets = 0
        try:
            for djset in reading.sets():
                sets += 1
                yield djset
        except Exception as exc:  # a damaged file: what was read is kept, the rest reported
            self._unreadable(path, f"{type(exc).__name__}: {exc}", cut=sets > 0)

    def _unreadable(self, path: Path, reason: str, cut: bool = False) -> None:
        """``cut``: the file broke after some of its sets were read (and kept): read in
        part (``import/cut``), so the import is partial, not failed."""
        self.crawler.stats.inc_value("import/errors")
        if cut:
            self.crawler.stats.inc_value("import/cut")
        self.unreadable.append((str(path), reason))
        self.logger.warning("Cannot import %s: %s", printable(path), printable(reason))

    def _skipped(self, folder: Path, reason: str) -> None:
        """A folder the walk could not, or would not, go into (counted when the import
        ends: the walk starts before Scrapy has its stats)."""
        self.skipped_folders += 1
        self.unreadable.append((str(folder), reason))
        self.logger.warning("Cannot import %s: %s", printable(folder), printable(reason))

    def closed(self, reason: str) -> None:
        if self._wake is not None:
            self._wake.cancel()
        if not self.unreadable:
            return
        lines = "\n".join(f"  {printable(path)}: {printable(why)}" for path, why in self.unreadable)
        files, folders = len(self.unreadable) - self.skipped_folders, self.skipped_folders
        what = " and ".join(
            ([f"{files} files"] if files else []) + ([f"{folders} folders"] if folders else [])
        )
        self.logger.warning("%s could not be imported:\n%s", what, lines)
