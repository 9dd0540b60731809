"""Text decoding for exports written by DJ software on any system.

Exports come as UTF-8 (with or without BOM), UTF-16 with BOM (rekordbox's .txt), or
legacy Windows code pages (Serato and VirtualDJ on older Windows). A BOM decides;
otherwise strict UTF-8, then cp1252 (what Windows DJ software writes when it is not
UTF-8; a guess on a few short track names is less reliable than that default), then
charset-normalizer's guess for bytes cp1252 leaves undefined, then latin-1, so that
decoding never fails and never silently drops bytes.
"""

from __future__ import annotations

import codecs
import csv as _csv
from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar

from charset_normalizer import from_bytes

from crawler.exports._errors import UnreadableFile

T = TypeVar("T")

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark announces, or None."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def looks_binary(head: bytes) -> bool:
    """NUL bytes without a UTF-16/32 BOM mean a binary file (audio, image, database)."""
    if bom_encoding(head) in ("utf-16", "utf-32"):
        return False
    return b"\x00" in head


def decode(data: bytes) -> str:
    """Decode an export's bytes to text; raises UnreadableFile for binary data."""
    encoding = bom_encoding(data)
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UnreadableFile(f"broken {encoding} text ({exc.reason})") from exc
    if b"\x00" in data:
        raise UnreadableFile("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    guess = from_bytes(data[:65536]).best()
    if guess is not None:
        try:
            return data.decode(guess.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("latin-1")


# -- streamed text --------------------------------------------------------------------------
CHUNK_BYTES = 1024 * 1024
"""How much of a streamed file is read (and decoded) at a time."""
MAX_LINE_CHARS = 1024 * 1024
"""A longer line is no export's: streaming stops there, so memory stays bounded."""


class WrongEncoding(Exception):
    """The bytes are not text in the encoding being tried; the next one is tried.

    Not a ValueError, so that no reader's own error handling can swallow it.
    """

    def __init__(self, encoding: str, reason: str) -> None:
        super().__init__(f"{encoding}: {reason}")
        self.encoding = encoding
        self.reason = reason


def encodings(head: bytes) -> Iterator[str]:
    """The encodings :func:`decode` would try, in its order; the guess is made from the
    head (as decode makes it from the first 64 KiB) only when it is reached."""
    bom = bom_encoding(head)
    if bom:
        yield bom
        return
    yield "utf-8"
    yield "cp1252"
    guess = from_bytes(head[:65536]).best()
    if guess is not None:
        try:
            codecs.lookup(guess.encoding)
        except LookupError:
            pass
        else:
            yield guess.encoding
    yield "latin-1"


def text_lines(handle: BinaryIO, encoding: str, *, csv: bool = False) -> Iterator[str]:
    """The lines of a file decoded chunk by chunk, split as ``str.splitlines()`` splits
    the whole text (or, with ``csv``, at "\\n" with line ends kept, as the csv module
    wants them); a leading BOM is dropped. Raises :class:`WrongEncoding` for bytes that
    are not ``encoding``, UnreadableFile for NUL bytes in a file without a BOM (binary)
    and for a line longer than ``MAX_LINE_CHARS``.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    has_bom = encoding in ("utf-8-sig", "utf-16", "utf-32")
    pending = ""
    start = True
    while True:
        chunk = handle.read(CHUNK_BYTES)
        if not has_bom and b"\x00" in chunk:
            raise UnreadableFile("binary file (contains NUL bytes)")
        try:
            decoded = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise WrongEncoding(encoding, exc.reason) from exc
        if start and decoded:
            decoded, start = decoded.lstrip("\ufeff"), False
        buffer = pending + decoded
        if not chunk:
            if buffer:
                pieces = buffer.splitlines(keepends=True) if csv else buffer.splitlines()
                _bounded(pieces)
                yield from pieces
            return
        if csv:
            pieces = buffer.split("\n")
            pending = pieces.pop()
            _bounded(pieces)
            yield from (piece + "\n" for piece in pieces)
        else:
            pieces = buffer.splitlines(keepends=True)
            # The last piece may go on in the next chunk (or be "\r" before its "\n").
            pending = pieces.pop() if pieces else ""
            _bounded(pieces)
            yield from (piece.splitlines()[0] for piece in pieces)
        _bounded([pending])


def _bounded(lines: list[str]) -> None:
    """Every line, the unfinished one too, is at most ``MAX_LINE_CHARS`` long (a line
    that ended within one chunk was let through when only the unfinished one was looked
    at: an M3U line of 1.1 million characters became a track's title)."""
    if lines and max(map(len, lines)) > MAX_LINE_CHARS + 2:  # + its line end
        raise UnreadableFile(f"a line longer than {MAX_LINE_CHARS:,} characters")


def read_streamed(handle: BinaryIO, read: Callable[[Iterator[str]], T], *, csv: bool = False) -> T:
    """``read(lines)`` over the file's lines, in the encoding :func:`decode` would pick
    for the whole file: each encoding in turn, from the start again when the bytes
    turn out not to be that encoding (UTF-8, the usual case, is read once)."""
    head = handle.read(65536)
    for encoding in encodings(head):
        handle.seek(0)
        try:
            return read(text_lines(handle, encoding, csv=csv))
        except WrongEncoding as exc:
            if bom_encoding(head):
                raise UnreadableFile(f"broken {encoding} text ({exc.reason})") from exc
        except _csv.Error as exc:  # a field over the csv module's limit (128 KiB), say
            raise UnreadableFile(f"broken CSV: {exc}") from None
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover
