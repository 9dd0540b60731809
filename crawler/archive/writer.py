"""WARC files in a folder: WARC 1.1, each record gzipped, rotated at a size, each indexed.

A file is written as ``NAME.warc.gz.open`` and renamed to ``NAME.warc.gz`` when it is
closed, so that a replay tool or an importer never reads half a file; its CDXJ index
(``NAME.cdxj``, by ``cdxj-indexer``, the index pywb reads) is written beside it then, in a
thread of its own, so that a crawl does not wait for it at a rotation. Names follow the
archiving convention (Heritrix, wget): ``PREFIX-TIMESTAMP-SERIAL-HOST.warc.gz``.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.warcwriter import WARCWriter

__all__ = ["WarcFiles", "index_warc"]

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
OPEN_SUFFIX = ".open"
_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")


def index_warc(path: Path) -> Path:
    """Write ``path``'s CDXJ index beside it (``x.warc.gz`` -> ``x.cdxj``), sorted, as
    pywb's ``wb-manager`` would; returns the index's path."""
    from cdxj_indexer.main import write_cdx_index

    target = path.with_name(path.name.removesuffix(".gz").removesuffix(".warc") + ".cdxj")
    partial = target.with_name(target.name + OPEN_SUFFIX)
    with partial.open("w", encoding="utf-8") as out:
        write_cdx_index(out, [str(path)], {"sort": True, "post_append": True})
    partial.replace(target)
    return target


class WarcFiles:
    """The archive of one crawl: records are written in groups (a request, its response
    and its metadata), a group never split over two files."""

    def __init__(self, folder: Path, prefix: str, max_bytes: int, info: dict[str, str]) -> None:
        self.folder = folder
        self.prefix = _UNSAFE.sub("_", prefix) or "crawl"
        self.max_bytes = max_bytes
        self.info = info
        self.host = _UNSAFE.sub("_", socket.gethostname()) or "localhost"
        self.serial = 0
        self.closed: list[Path] = []
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None
        self._indexers: list[threading.Thread] = []
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def writer(self) -> WARCWriter:
        """The current file's writer (a new file, with its warcinfo record, when none)."""
        if self._writer is None:
            self._open()
        assert self._writer is not None
        return self._writer

    def _open(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        name = f"{self.prefix}-{stamp}-{self.serial:05d}-{self.host}~{os.getpid()}.warc.gz"
        self.serial += 1
        self._path = self.folder / name
        self._file = (self.folder / (name + OPEN_SUFFIX)).open("wb")
        self._writer = WARCWriter(self._file, gzip=True, warc_version=WARC_VERSION)
        self._writer.write_record(self._writer.create_warcinfo_record(name, self.info))

    def write(self, records: Iterable[Any]) -> None:
        """Write records together, then rotate when the file has reached the size."""
        writer = self.writer
        for record in records:
            writer.write_record(record)
        assert self._file is not None
        if self._file.tell() >= self.max_bytes:
            self._close_file()

    def _close_file(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        done = self._path
        Path(str(done) + OPEN_SUFFIX).replace(done)
        self._file = self._writer = self._path = None
        self.closed.append(done)
        thread = threading.Thread(target=self._index, args=(done,), name=f"cdxj {done.name}")
        thread.start()
        self._indexers.append(thread)

    @staticmethod
    def _index(path: Path) -> None:
        try:
            index_warc(path)
        except Exception:  # the WARC is whole without it: `crawler reextract` re-reads
            logger.exception("Could not index %s", path)

    def close(self) -> list[Path]:
        """Close the current file and wait for every index; the files written."""
        self._close_file()
        for thread in self._indexers:
            thread.join()
        self._indexers.clear()
        return list(self.closed)
