"""Readers for what users already have: DJ-software exports and saved tracklist pages.

``read_path(path)`` recognizes a file by its content (the extension only breaks ties),
routes it to its reader and returns the sets in it; a file nobody can read raises
:class:`UnreadableFile` with the reason. Readers are pure: no Scrapy, no network.

Line formats (CSV, M3U, the text exports, CUE) are streamed: read and decoded a chunk at a
time, their tracks past the cap only counted, so memory is bounded by the set kept, not by
the file; the size limit applies to the formats read whole (XML, saved pages).

The DJ programs' own history files (Serato sessions, Mixxx and Engine SQLite, rekordbox
USB exports) are recognized by their first bytes and read from the file itself: SQLite
read-only, whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from crawler.exports import (
    cue_sheet,
    engine,
    m3u,
    mixxx,
    playlist_csv,
    refused,
    rekordbox_pdb,
    rekordbox_txt,
    rekordbox_xml,
    saved_page,
    serato_csv,
    serato_session,
    serato_txt,
    traktor_nml,
    virtualdj_m3u,
    virtualdj_txt,
)
from crawler.exports._errors import NoSetsFound, UnreadableFile
from crawler.exports._sqlite import is_sqlite
from crawler.exports._text import bom_encoding, looks_binary, read_streamed
from crawler.exports.discogs_dump import DUMP_EXTENSIONS
from crawler.items import DJSet

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXTENSIONS",
    "HEAD_BYTES",
    "NoSetsFound",
    "Reader",
    "UnreadableFile",
    "detect",
    "read_path",
    "reads_name",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""Files read whole above this size are refused unread (setting ``IMPORT_MAX_FILE_BYTES``);
streamed formats are read whatever their size."""
HEAD_BYTES = 64 * 1024
"""How much of a file is read to recognize its format."""


StreamRead = Callable[[Path, Iterator[str], int], list[DJSet]]
"""A streamed format's reader: the file's path, its decoded lines, the track cap."""


@dataclass(frozen=True)
class Reader:
    """One file format: its name, how to recognize it, how to read it: whole
    (``read``, the file's bytes) or line by line (``stream``)."""

    name: str
    sniff: Callable[[Path, str], bool]
    read: Callable[[Path, bytes], list[DJSet]] | None = None
    stream: StreamRead | None = None
    csv: bool = False
    """Lines as the csv module wants them: split at "\n" only, ends kept."""
    extensions: tuple[str, ...] = field(kw_only=True)
    """The file name endings (lower case, with the dot; "" for none) its files have: a file
    in a folder with none of the readers' endings is not an export and is skipped unread
    (:func:`reads_name`). Content decides the format; these only say what to try."""


@dataclass(frozen=True)
class FileReader:
    """A binary format read from the file itself (SQLite is queried, not loaded):
    recognized by its first bytes and its name."""

    name: str
    sniff: Callable[[Path, bytes], bool]
    read: Callable[[Path], list[DJSet]]
    extensions: tuple[str, ...]
    """Its file name endings, as :attr:`Reader.extensions`."""


# Most specific first: an NML or rekordbox XML is also "XML", a VirtualDJ history is
# also an .m3u, and any page may contain a text block.
_M3U = (".m3u", ".m3u8")
READERS: tuple[Reader, ...] = (
    Reader("traktor_nml", traktor_nml.sniff, traktor_nml.read, extensions=(".nml",)),
    Reader("rekordbox_xml", rekordbox_xml.sniff, rekordbox_xml.read, extensions=(".xml",)),
    Reader("virtualdj_m3u", virtualdj_m3u.sniff, stream=virtualdj_m3u.read, extensions=_M3U),
    Reader("m3u", m3u.sniff, stream=m3u.read, extensions=_M3U),
    Reader("cue_sheet", cue_sheet.sniff, stream=cue_sheet.read, extensions=(".cue",)),
    Reader("virtualdj_txt", virtualdj_txt.sniff, stream=virtualdj_txt.read, extensions=(".txt",)),
    Reader("rekordbox_txt", rekordbox_txt.sniff, stream=rekordbox_txt.read, extensions=(".txt",)),
    Reader("serato_csv", serato_csv.sniff, stream=serato_csv.read, csv=True, extensions=(".csv",)),
    Reader(
        "playlist_csv", playlist_csv.sniff, stream=playlist_csv.read, csv=True, extensions=(".csv",)
    ),
    Reader("serato_txt", serato_txt.sniff, stream=serato_txt.read, extensions=(".txt",)),
    Reader(
        "saved_page",
        saved_page.sniff_html,
        saved_page.read_html,
        extensions=saved_page.HTML_EXTENSIONS,
    ),
)
# Files starting with "<" can only be one of these; skipping the text sniffers keeps
# recognizing a saved page cheap.
MARKUP_READERS = tuple(
    r for r in READERS if r.name in ("traktor_nml", "rekordbox_xml", "saved_page")
)


def _read_any_sqlite(path: Path) -> list[DJSet]:
    """A DJ program's SQLite database under another name than the program gives it (a
    copy, a backup): recognized by its tables rather than reported as "binary"."""
    from crawler.exports._sqlite import open_readonly, tables

    with open_readonly(path) as conn:
        names = tables(conn)
    if mixxx.owns(names):
        return mixxx.read(path)
    if engine.owns(names):
        return engine.read(path)
    raise UnreadableFile("a SQLite database of no program the importer reads (Mixxx, Engine DJ)")


# Binary and database formats, recognized before the "binary file" refusal.
FILE_READERS: tuple[FileReader, ...] = (
    FileReader("mixxx", mixxx.sniff, mixxx.read, (".sqlite",)),
    FileReader("engine", engine.sniff, engine.read, (".db",)),
    FileReader("serato_session", serato_session.sniff, serato_session.read, (".session",)),
    FileReader("rekordbox_pdb", rekordbox_pdb.sniff, rekordbox_pdb.read, (".pdb",)),
    FileReader("sqlite", lambda path, head: is_sqlite(head), _read_any_sqlite, (".sqlite", ".db")),
)
MHTML = Reader(
    "mhtml", lambda path, head: True, saved_page.read_mhtml, extensions=(".mhtml", ".mht")
)
PLAIN_TEXT = Reader(
    "text", lambda path, head: True, saved_page.read_text, extensions=(".txt", ".text")
)  # a file with no extension is read when named, as any file is, not found in a folder
# (LICENSE, PROVENANCE, Makefile: read as tracklists, they made an import partial)
_ALL_READERS: tuple[Reader | FileReader, ...] = (*READERS, *FILE_READERS, MHTML, PLAIN_TEXT)
EXTENSIONS = frozenset(
    ending for reader in _ALL_READERS for ending in reader.extensions
) | frozenset(DUMP_EXTENSIONS)
"""Every file name ending some reader reads (the Discogs dump's included): derived from the
readers, so a new reader's files are read in folders as soon as it is registered."""


def reads_name(path: Path) -> bool:
    """Whether ``path``'s name is one the importer reads (:data:`EXTENSIONS`). A folder's
    other files (sidecars, pictures, READMEs) are skipped unread, not counted as failures."""
    return path.suffix.lower() in EXTENSIONS


def _head_text(head: bytes) -> str:
    encoding = bom_encoding(head) or "utf-8"
    if encoding == "utf-16" and len(head) % 2:
        head = head[:-1]
    return head.decode(encoding, "replace").lstrip("\ufeff")


def detect(path: Path, head_bytes: bytes) -> Reader | FileReader:
    """The reader for a file, from its first bytes; UnreadableFile when there is none."""
    if not head_bytes:
        raise UnreadableFile("empty file")
    if (why := refused.reason(path, head_bytes)) is not None:
        raise UnreadableFile(why)
    for file_reader in FILE_READERS:
        if file_reader.sniff(path, head_bytes):
            return file_reader
    if saved_page.sniff_mhtml(path, head_bytes):
        return MHTML
    if looks_binary(head_bytes):
        raise UnreadableFile("binary file (not an export or a saved page)")
    head = _head_text(head_bytes)
    if not head.strip():
        raise UnreadableFile("empty file (only whitespace)")
    markup = head.lstrip().startswith("<")
    for reader in MARKUP_READERS if markup else READERS:
        if reader.sniff(path, head):
            return reader
    if markup:
        raise UnreadableFile("XML or markup of no known format (not NML, rekordbox or HTML)")
    if path.suffix.lower() in PLAIN_TEXT.extensions or not path.suffix:
        return PLAIN_TEXT  # no extension: a file named in `path` (a folder's are skipped)
    raise UnreadableFile(f"unknown format ({path.suffix or 'no extension'})")


def read_path(
    path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, max_tracks: int = 0
) -> list[DJSet]:
    """The sets in one file; UnreadableFile (with the reason) when it cannot be read.

    The head is read first to pick the reader, so a binary file costs one small read.
    Streamed formats are read line by line whatever their size, keeping at most
    ``max_tracks`` tracks a set (0: all; the rest are counted, see
    :func:`crawler.items.tracks_seen`); any other file above ``max_bytes`` is refused
    after that one small read.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UnreadableFile("not a regular file")
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            try:
                reader = detect(path, head)
            except UnreadableFile:
                if size > max_bytes:
                    raise _too_large(size, max_bytes) from None
                raise
            if isinstance(reader, FileReader):
                read_file = reader.read
                return _checked(reader, path, lambda: read_file(path))
            if reader.stream is not None:
                return _checked(reader, path, lambda: _stream(reader, path, handle, max_tracks))
            if size > max_bytes:
                raise _too_large(size, max_bytes)
            data = head + handle.read() if len(head) == HEAD_BYTES else head
    except OSError as exc:
        raise UnreadableFile(f"cannot open: {exc.strerror or exc}") from exc
    assert reader.read is not None
    whole = reader.read
    return _checked(reader, path, lambda: whole(path, data))


def _too_large(size: int, max_bytes: int) -> UnreadableFile:
    return UnreadableFile(
        f"too large: {size / 1e6:.1f} MB, above the {max_bytes / 1e6:.1f} MB limit"
        " (IMPORT_MAX_FILE_BYTES)"
    )


def _stream(reader: Reader, path: Path, handle: BinaryIO, max_tracks: int) -> list[DJSet]:
    stream = reader.stream
    assert stream is not None
    handle.seek(0)
    return read_streamed(handle, lambda lines: stream(path, lines, max_tracks), csv=reader.csv)


def _checked(
    reader: Reader | FileReader, path: Path, read: Callable[[], list[DJSet]]
) -> list[DJSet]:
    """``read()``'s sets, its failures said as UnreadableFile with the reader's name."""
    try:
        sets = read()
    except UnreadableFile:
        raise
    except RecursionError as exc:
        raise UnreadableFile(f"{reader.name}: nested too deeply") from exc
    except (ValueError, LookupError, UnicodeError) as exc:
        raise UnreadableFile(f"{reader.name}: {type(exc).__name__}: {exc}") from exc
    if not sets:
        raise NoSetsFound(f"{reader.name}: no set found (no playlist or history with tracks)")
    return sets
