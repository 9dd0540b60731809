"""Serato DJ / Scratch Live history sessions: ``_Serato_/History/Sessions/*.session``.

A session file is a ``vrsn`` chunk (the format's name, UTF-16BE) and then one ``oent``
chunk per row of the History panel, each holding an ``adat`` chunk of numbered fields
(big-endian id, length, value): strings in UTF-16BE ending in a NUL, numbers and Unix
times as big-endian integers of their length (4 bytes, 8 in older Scratch Live). The
fields used: 6 title, 7 artist, 28 start time, 29 end time, 31 deck, 50 "played" (the
row's check mark: Serato sets it once the track played on air, and a DJ can clear it),
51 key. The layout was read from these files; Ben XO's sslscrobbler (MIT) named most
fields first.

The file is walked one chunk at a time, so memory follows the set, not the file. One
session is one set, titled and dated by its start in local time, as Serato shows it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from crawler.exports._common import file_uri, render, text
from crawler.exports._errors import UnreadableFile
from crawler.items import DJSet, TrackEntry

SOURCE = "serato"
_HEADER = struct.Struct(">4sI")
_FIELD = struct.Struct(">II")
_TITLE, _ARTIST, _START, _PLAYED, _KEY = 6, 7, 28, 50, 51
_STRINGS = frozenset({_TITLE, _ARTIST, _KEY})
_MAX_CHUNK = 16 * 1024 * 1024
"""A row is a few hundred bytes; a length above this is a damaged file, not a row."""


def sniff(path: Path, head: bytes) -> bool:
    return head[:4] == b"vrsn" and b"oent" in head[:4096]


def chunks(handle: BinaryIO) -> Iterator[tuple[bytes, bytes]]:
    """The top-level chunks of a Serato file, one read each."""
    while header := handle.read(_HEADER.size):
        if len(header) < _HEADER.size:
            raise UnreadableFile("Serato session cut short (a chunk header is incomplete)")
        tag, length = _HEADER.unpack(header)
        if length > _MAX_CHUNK:
            raise UnreadableFile(f"Serato session damaged: a {tag!r} chunk of {length} bytes")
        body = handle.read(length)
        if len(body) < length:
            raise UnreadableFile("Serato session cut short (a row is incomplete)")
        yield tag, body


def row_fields(oent: bytes) -> dict[int, bytes]:
    """The numbered fields of one ``oent`` row (of its ``adat`` chunk)."""
    fields: dict[int, bytes] = {}
    offset = 0
    while offset + _HEADER.size <= len(oent):
        tag, length = _HEADER.unpack_from(oent, offset)
        offset += _HEADER.size
        if tag == b"adat":
            _adat(oent[offset : offset + length], fields)
        offset += length
    return fields


def _adat(body: bytes, fields: dict[int, bytes]) -> None:
    offset = 0
    while offset + _FIELD.size <= len(body):
        number, length = _FIELD.unpack_from(body, offset)
        offset += _FIELD.size
        fields[number] = body[offset : offset + length]
        offset += length


def _string(value: bytes | None) -> str | None:
    if not value:
        return None
    return text(value[: len(value) // 2 * 2].decode("utf-16-be", "replace").rstrip("\x00"))


def _number(value: bytes | None) -> int | None:
    if not value or len(value) > 8:
        return None
    return int.from_bytes(value, "big")


def read(path: Path) -> list[DJSet]:
    rows: list[tuple[str | None, str | None, str | None, int | None]] = []
    with path.open("rb") as handle:
        for tag, body in chunks(handle):
            if tag != b"oent":
                continue
            fields = row_fields(body)
            if _number(fields.get(_PLAYED)) == 0:  # loaded, not played (absent: old versions)
                continue
            start = _number(fields.get(_START))
            rows.append(
                (
                    _string(fields.get(_ARTIST)),
                    _string(fields.get(_TITLE)),
                    _string(fields.get(_KEY)),
                    start or None,
                )
            )
    if not rows:
        return []
    starts = [start for *_, start in rows if start is not None]
    begin = min(starts) if starts else None
    date = datetime.fromtimestamp(begin).date().isoformat() if begin is not None else None
    tracks = [
        TrackEntry(
            position=position,
            cue_s=start - begin if start is not None and begin is not None else None,
            artist=artist,
            title=title,
            raw=render(artist, title),
            key=key,
        )
        for position, (artist, title, key, start) in enumerate(rows, 1)
    ]
    return [DJSet(source=SOURCE, url=file_uri(path), title=date, date=date, tracks=tracks)]
