"""Reading a DJ program's SQLite database without ever writing beside it.

The database is opened through a ``file:`` URI with ``mode=ro``: SQLite never writes
the database itself, and a rollback-journal database (Mixxx's, Engine's) is read under
the shared lock every reader takes, creating no file beside it, while the program may
be running: we see the last committed state, as of our one read transaction.

``immutable=1`` tells SQLite the file cannot change while open: no locks, no WAL. That
is false while the DJ program runs (a session still growing), and a reader trusting it
may read a page half written, so it is used in one case only: a WAL-mode database with
no ``-wal`` file beside it. There, ``mode=ro`` alone would *create* ``-wal`` and
``-shm`` files in the DJ's library folder (SQLite needs them to read a WAL database),
and the missing ``-wal`` says no connection has the database open (SQLite deletes it
when the last one closes), so nothing is writing it. A WAL database whose ``-wal`` is
there is open in the program: it is read with ``mode=ro`` through the program's own
``-wal`` and ``-shm``, which then exist already. A ``-wal`` with no ``-shm`` beside it
(copied from a stick or a backup without it, or left by a program that crashed) is open in
no program either, but holds the latest sessions: ``mode=ro`` would create the ``-shm``
beside it, ``immutable=1`` would not read the ``-wal``, so the two files are read from a
private copy in a temporary folder.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote

from crawler.exports._errors import UnreadableFile

SQLITE_MAGIC = b"SQLite format 3\x00"


def is_sqlite(head: bytes) -> bool:
    return head.startswith(SQLITE_MAGIC)


_WAL = 2
"""The file-format version bytes (offsets 18 and 19) of a WAL-mode database."""


def readonly_uri(path: Path) -> str:
    """The ``file:`` URI SQLite opens read-only (percent-encoded: "?" and "#" in folder
    names would otherwise start the query); immutable only as the module says."""
    path = path.resolve()
    uri = "file:" + quote(str(path)) + "?mode=ro"
    with path.open("rb") as handle:
        header = handle.read(20)
    wal_mode = len(header) == 20 and header[18] == _WAL
    if wal_mode and not path.with_name(path.name + "-wal").exists():
        uri += "&immutable=1"
    return uri


@contextmanager
def readonly_connection(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection that writes nothing beside ``path`` (see the module), closed
    on leaving; ``sqlite3.Error`` or ``OSError`` when it cannot be opened."""
    with ExitStack() as stack:
        path = path.resolve()
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and not path.with_name(path.name + "-shm").exists():
            copy = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="crawler-sqlite-")))
            shutil.copyfile(path, copy / path.name)
            shutil.copyfile(wal, copy / wal.name)
            path = copy / path.name
        conn = sqlite3.connect(readonly_uri(path), uri=True, isolation_level=None)
        stack.callback(conn.close)
        yield conn


@contextmanager
def open_readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection in one read transaction, closed on leaving."""
    with ExitStack() as stack:
        try:
            conn = stack.enter_context(readonly_connection(path))
        except (sqlite3.Error, OSError) as exc:
            raise UnreadableFile(f"cannot open the SQLite database read-only: {exc}") from exc
        try:
            conn.execute("BEGIN")  # one snapshot for every query of this read
            yield conn
        except sqlite3.DatabaseError as exc:
            raise UnreadableFile(f"SQLite: {exc}") from exc


def tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    return {name for (name,) in rows}


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
