"""WARC files in a folder: WARC 1.1, each record gzipped, rotated at a size, each indexed.

A file is written as ``NAME.warc.gz.open`` and renamed to ``NAME.warc.gz`` when it is
closed, so that a replay tool or an importer never reads half a file; its CDXJ index
(``NAME.cdxj``, the index pywb reads) is written beside it then. Names follow the
archiving convention (Heritrix, wget): ``PREFIX-TIMESTAMP-SERIAL-HOST~PID.warc.gz``.

The index lines are made as the records are written, in ``cdxj-indexer``'s own format
(its URL key, ``surt``; its fields; sorted as it sorts): the writer knows every record's
offset, length and digest, and re-reading the file with cdxj-indexer at the end cost as
much CPU as writing it. A test holds the two equal line for line; :func:`index_warc`
(cdxj-indexer itself) indexes a file this writer did not (a request other than GET, whose
method and body cdxj-indexer appends).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import zlib
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
_MIME_END = re.compile(r"[;\s]")
_NOT_DIGIT = re.compile(r"\D")


def cdxj_line(record: Any, offset: int, length: int, filename: str) -> str:
    """The line cdxj-indexer writes for a ``response`` record (``main.CDXJIndexer``)."""
    import surt

    url = record.rec_headers.get_header("WARC-Target-URI")
    fields: dict[str, str] = {"url": url}
    mime = record.http_headers.get_header("Content-Type")
    if mime:
        fields["mime"] = _MIME_END.split(mime, 1)[0].strip()
    fields["status"] = record.http_headers.get_statuscode()
    fields["digest"] = record.rec_headers.get_header("WARC-Payload-Digest")
    fields |= {"length": str(length), "offset": str(offset), "filename": filename}
    try:
        key = surt.surt(url)
    except Exception:  # as cdxj-indexer does
        key = url
    # warcio's iso_date_to_timestamp, without parsing the date: its first 14 digits
    stamp = _NOT_DIGIT.sub("", record.rec_headers.get_header("WARC-Date"))[:14]
    return f"{key} {stamp} {json.dumps(fields)}\n"


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


class _GzipMembers:
    """The file warcio writes into, each record a gzip member of its own.

    warcio writes a record, then flushes: here the flush ends the record's gzip member
    (what warcio's own ``gzip=True`` does), with a compressor of a smaller hash table
    (``memLevel`` 4): zlib clears its 64 KiB table for every member, which cost four
    times the compression of a record itself (bench_wide --archive). The compressed bytes
    go into a large buffer, written out when the file is closed (until then it is
    ``.open``: nobody reads it), and are counted, which gives each record's offset and
    length for the index."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.written = 0
        self._compressor: Any = None

    def write(self, data: bytes) -> int:
        if self._compressor is None:
            self._compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16, 4)
        self._put(self._compressor.compress(data))
        return len(data)

    def _put(self, data: bytes) -> None:
        if data:
            self.written += len(data)
            self.file.write(data)

    def flush(self) -> None:
        """The end of a record: the end of its gzip member."""
        if self._compressor is not None:
            self._put(self._compressor.flush())
            self._compressor = None


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
        self._file: _GzipMembers | None = None
        self._raw: BinaryIO | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None
        self._lines: list[str] = []
        self._reindex = False
        """A record the lines cannot describe was written: cdxj-indexer indexes the file."""
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
        self._raw = (self.folder / (name + OPEN_SUFFIX)).open("wb", buffering=1 << 20)
        self._file = _GzipMembers(self._raw)
        # gzip=False: each record is gzipped, by the file object (see _GzipMembers)
        self._writer = WARCWriter(self._file, gzip=False, warc_version=WARC_VERSION)
        self._writer.write_record(self._writer.create_warcinfo_record(name, self.info))

    def write(self, records: Iterable[Any]) -> None:
        """Write records together, then rotate when the file has reached the size."""
        writer = self.writer
        assert self._file is not None and self._path is not None
        counted = self._file
        for record in records:
            start = counted.written
            writer.write_record(record)
            if record.rec_type == "response":
                length = counted.written - start
                self._lines.append(cdxj_line(record, start, length, self._path.name))
            elif record.rec_type == "request" and record.http_headers.protocol != "GET":
                self._reindex = True
        if counted.written >= self.max_bytes:
            self._close_file()

    def _close_file(self) -> None:
        if self._raw is None or self._path is None:
            return
        self._raw.close()
        done = self._path
        Path(str(done) + OPEN_SUFFIX).replace(done)
        self._file = self._raw = self._writer = self._path = None
        self.closed.append(done)
        lines, self._lines, reindex, self._reindex = self._lines, [], self._reindex, False
        try:
            if reindex:
                index_warc(done)
            else:
                index = done.with_name(done.name.removesuffix(".warc.gz") + ".cdxj")
                index.write_text("".join(sorted(lines)), encoding="utf-8")
        except Exception:  # the WARC is whole without it: wb-manager can index it
            logger.exception("Could not index %s", done)

    def close(self) -> list[Path]:
        """Close the current file (and index it); the files written."""
        self._close_file()
        return list(self.closed)
