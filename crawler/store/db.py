"""Engines and sessions: one per database URL per process, migrated on first use."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Result,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from crawler.extras import MissingExtra, require

MIGRATIONS = resources.files("crawler.store") / "migrations"
"""The Alembic scripts, read as package resources: a folder in a clone or a wheel, a
member of the archive in a zipped egg (scrapyd's)."""
SCHEMA_REVISION = "0016"
"""The newest migration. A store already there is opened without loading Alembic (a
quarter of a second at every start); tests check this against Alembic's own head."""
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched (``Session.execute`` is typed as returning a plain
    ``Result``, which for those statements is a ``CursorResult``)."""
    assert isinstance(result, CursorResult)
    return result.rowcount


def dialect_insert(session: Session, table: Table) -> Any:
    """A dialect insert, which has ``on_conflict_do_*`` (SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {dialect}")


def chunks(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    """Slices for ``IN (...)`` lists: every statement stays far under each backend's
    limit of bound parameters (SQLite 32,766, older builds 999; PostgreSQL 65,535)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created, as is the file. Raises
    :class:`ForeignDatabase` for another program's SQLite file: the engine's first
    connection would already switch it to WAL (``upgrade`` refuses other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database).absolute()
            if path.is_file() and (foreign := sqlite_foreign(path)):
                raise ForeignDatabase(foreign)
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_driver_name() == "psycopg":
        require("postgres", "a PostgreSQL DATABASE_URL")
    # A server that drops packets must not hang the crawl: give up connecting after 10 s
    # (the store pipeline then spools and retries).
    connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def missing_store(url: str) -> str | None:
    """Why a command that only reads must not open ``url``: an SQLite file that is not
    there (opening it would create an empty store, and its folder), or one that is damaged
    (``PRAGMA quick_check``; the file is left as it is). None otherwise."""
    try:
        parsed = make_url(url)
    except Exception as error:
        return describe_store_error(url, error)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    if not path.is_file():
        return f"no database at {parsed.database}"
    if foreign := sqlite_foreign(path.absolute()):  # first: it reads nothing beside it
        return f"sqlite:///{parsed.database}: {foreign}"
    damage = sqlite_damage(path.absolute())
    return f"the store {parsed.database} is damaged: {damage}" if damage else None


class StoreUnavailable(Exception):
    """Why a command cannot open a store that should be there, in one line."""


def existing_store(url: str) -> sessionmaker[Session]:
    """The store at ``url`` for a command that reads what is there (and may tidy it, as
    ``crawler duplicates --merge`` does); raises :class:`StoreUnavailable` rather than
    create one, open another program's database or show a traceback."""
    if (problem := missing_store(url)) is not None:
        raise StoreUnavailable(problem)
    try:
        return session_factory(url)
    except MissingExtra:
        raise  # the command line says which extra to install
    except Exception as error:
        raise StoreUnavailable(describe_store_error(url, error)) from error


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current_revision_on(conn)


def current_revision_on(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration.

    On PostgreSQL an advisory lock keeps workers that start together from racing.
    """
    if current_revision(engine) == SCHEMA_REVISION and not _needs_repair(engine):
        return
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if foreign := foreign_tables(tables, current_revision_on(conn)):
            raise ForeignDatabase(foreign)
    with _file_lock(engine):
        _upgrade(engine)


def _needs_repair(engine: Engine) -> bool:
    from crawler.store.repair import missing_revisions

    with engine.connect() as conn:
        return bool(missing_revisions(conn, SCHEMA_REVISION))


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """On a SQLite file, one process at a time migrates (workers starting together would
    otherwise race to create the same tables); elsewhere, nothing to do here."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    from crawler.store.repair import missing_revisions, repair

    logging.getLogger("alembic").setLevel(logging.WARNING)
    with _migrations_folder() as folder, engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(folder))
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7261001)"))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        # a store stamped past a revision that never ran in it (see crawler.store.repair)
        if missing := missing_revisions(conn, current_revision_on(conn)):
            repair(conn, folder, missing)


@contextmanager
def _migrations_folder() -> Iterator[Path]:
    """A real folder holding the migrations: Alembic reads its scripts from files."""
    if isinstance(MIGRATIONS, Path):
        yield MIGRATIONS
        return
    with tempfile.TemporaryDirectory(prefix="crawler-migrations-") as tmp:
        _copy_tree(MIGRATIONS, Path(tmp))
        yield Path(tmp)


def _copy_tree(source: Traversable, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                (target / entry.name).mkdir()
                _copy_tree(entry, target / entry.name)
        elif entry.name.endswith((".py", ".mako")):
            with entry.open("rb") as src, open(target / entry.name, "wb") as dst:
                shutil.copyfileobj(src, dst)


@cache
def _factory(url: str) -> sessionmaker[Session]:
    engine = create_store_engine(url)
    upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)


def session_factory(url: str) -> sessionmaker[Session]:
    """The migrated store at ``url``; callers own their transactions (``with f.begin()``)."""
    with _lock:
        return _factory(url)


def store_problem(url: str) -> str | None:
    """Why the store at ``url`` cannot be opened (one line, password masked), or None.

    Crawls ask this before anything is sent to any site: a crawl that could not keep what
    it fetches should not fetch it. A SQLite file is not created here (a crawl refused
    for another reason, a misspelt argument, say, leaves nothing behind): only its folder
    is checked, the nearest one that exists, for writing.
    """
    try:
        parsed = make_url(url)
    except Exception as error:
        return describe_store_error(url, error)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_problem(parsed.database)
    try:
        session_factory(url)
    except MissingExtra:
        return None  # the Tracklists add-on says which extra to install, in its own line
    except Exception as error:
        return describe_store_error(url, error)
    return None


def _sqlite_problem(database: str | None) -> str | None:
    if not database or database == ":memory:":
        return None
    path = Path(database).absolute()
    if path.exists():
        return _sqlite_file_problem(database, path)
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if _writable(folder) and folder.is_dir():
        return None
    return f"Cannot create the store sqlite:///{database}: {folder} is not a writable folder"


def _writable(path: Path) -> bool:
    """Whether ``path`` may be written: permitted, with a write bit set (root may write a
    file its owner made read-only, but a store made read-only is not to be written), on a
    file system mounted read-write."""
    try:
        mode, flags = path.stat().st_mode, os.statvfs(path).f_flag
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(mode & 0o222) and not flags & os.ST_RDONLY


def _sqlite_file_problem(database: str, path: Path) -> str | None:
    """Why the SQLite file at ``path`` cannot take a crawl: not a file, read-only (or in a
    read-only folder: SQLite writes its journal beside it), or damaged. Read through a
    read-only connection, so that a damaged file is left exactly as it was."""
    where = f"Cannot open the store sqlite:///{database}"
    if not path.is_file():
        return f"{where}: not a file"
    if not _writable(path):
        return f"{where}: the file is read-only"
    if not _writable(path.parent) or not os.access(path.parent, os.X_OK):
        return f"{where}: its folder {path.parent} is read-only (SQLite writes its journal there)"
    if foreign := sqlite_foreign(path):  # first: it reads nothing beside it
        return f"{where}: {foreign}"
    damage = sqlite_damage(path)
    if damage:
        return f"{where}: {damage} (the file is left as it is; restore it from a backup)"
    return None


def sqlite_damage(path: Path) -> str | None:
    """What ``PRAGMA quick_check`` finds wrong with the SQLite file at ``path`` (first
    problem), or None when it is sound."""
    try:
        with contextlib.closing(_readonly(path)) as conn:
            rows = [row[0] for row in conn.execute("PRAGMA quick_check(1)")]
    except sqlite3.DatabaseError as error:
        return str(error) or type(error).__name__
    if rows == ["ok"]:
        return None
    first = str(rows[0]).splitlines()[0] if rows else "no answer"
    return f"the file is damaged ({first})"


def _readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection with SQLite's own locking. Never ``immutable=1`` on what may
    be a store: an immutable connection takes no locks, and closing it closes its file
    descriptor, which drops every POSIX lock this process holds on the file, those of its
    other connections too, so that another process writes under them (this corrupted a
    store of two servers and a crawl)."""
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30)


STORE_APPLICATION_ID = 0x544C4331
"""``PRAGMA application_id`` of a SQLite store ("TLC1", set by migration 0015): a file
that carries it is a store, known from its header without opening it."""

_WAL_HEADER = 2
"""The file-format version bytes (offsets 18 and 19) of a WAL-mode database."""

_SCHEMA_SCRIPT = """
import json, sqlite3, sys, urllib.parse
uri = "file:" + urllib.parse.quote(sys.argv[1]) + "?mode=ro&immutable=1"
conn = sqlite3.connect(uri, uri=True)
names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
version = None
if "alembic_version" in names:
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    version = row[0] if row else None
print(json.dumps([names, version]))
"""
"""Reads a closed WAL database's tables in a process of its own (see :func:`sqlite_foreign`)."""


_looks: dict[tuple[int, int], str | None] = {}
_looks_lock = threading.Lock()  # not _lock: session_factory holds that one while it asks


def sqlite_foreign(path: Path) -> str | None:
    """:func:`_look`'s verdict on the file at ``path``, looked at once a process (per
    inode: a file put in its place is looked at again). Its header is read with a plain
    ``open``, and closing any descriptor of a file drops every POSIX lock the process holds
    on it, its SQLite connections' too, so that another process writes under them: a
    store is looked at before this process has a connection to it, and never again."""
    status = path.stat()
    with _looks_lock:
        key = (status.st_dev, status.st_ino)
        if key not in _looks:
            _looks[key] = _look(path)
        return _looks[key]


def _look(path: Path) -> str | None:
    """Why the SQLite file at ``path`` is not to be made a store (:func:`foreign_tables`);
    None for a store, an empty file or one SQLite cannot read (:func:`sqlite_damage` says
    why). Nothing is written to the file or beside it, whatever it turns out to be.

    A store says so in its header. Other files are read with SQLite's locking, which
    writes nothing except for a WAL-mode database that nothing has open (no ``-wal``
    beside it): reading that would create its ``-wal`` and ``-shm``, in a DJ's library
    folder perhaps, so it is read ``immutable`` instead, in a short process of its own
    (see :func:`_readonly` for why never in this one)."""
    import json
    import subprocess
    import sys

    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return None  # empty (a store about to be made), or not SQLite: sqlite_damage says
    if int.from_bytes(header[68:72], "big") == STORE_APPLICATION_ID:
        return None
    wal = path.with_name(path.name + "-wal")
    try:
        if header[18] == _WAL_HEADER and not wal.exists():
            done = subprocess.run(
                [sys.executable, "-c", _SCHEMA_SCRIPT, str(path.resolve())],
                capture_output=True, text=True, timeout=120, check=True,
            )  # fmt: skip
            names, version = json.loads(done.stdout)
        else:
            with contextlib.closing(_readonly(path)) as conn:
                rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                names = [n for (n,) in rows]
                version = None
                if "alembic_version" in names:
                    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                    version = row[0] if row else None
    except (sqlite3.DatabaseError, OSError, ValueError, subprocess.SubprocessError):
        return None
    return foreign_tables(set(names), version)


def foreign_tables(tables: set[str], revision: str | None) -> str | None:
    """Why a database holding ``tables``, at Alembic ``revision``, is another program's
    (a DJ library's, say) rather than a store: creating the store's tables in it would
    write into that program's data. None for an empty database, a store of any version
    (revisions are numbered ``0001``, ``0002``, …), and a store being created by another
    process (SQLite commits each CREATE TABLE of a migration as it goes: its tables are
    there before its revision)."""
    from crawler.store.models import Base

    if revision is not None and re.fullmatch(r"\d{4}", revision):
        return None
    ours = {*Base.metadata.tables, "alembic_version"}
    others = sorted(
        name
        for name in tables
        if name not in ours and not name.startswith(("sqlite_", "search_"))  # FTS tables
    )
    if not others:
        return None
    shown = ", ".join(others[:4]) + (", …" if len(others) > 4 else "")
    whose = f"; its Alembic revision {revision!r} is not a store's" if revision else ""
    return (
        f"it is another program's database (tables {shown}{whose}): nothing was written "
        "to it; name a new file or an empty database for the store"
    )


class ForeignDatabase(Exception):
    """The database holds another program's tables (:func:`foreign_tables`)."""


def describe_store_error(url: str, error: BaseException) -> str:
    from crawler.logsafe import mask_secrets, mask_url

    try:
        parsed = make_url(url)
    except Exception:
        hint = ""
        if "://" not in url:  # a file's path, most likely
            hint = f" (a SQLite file's URL is sqlite:///{url})"
        return f"DATABASE_URL is not a database URL: {mask_url(url)!r}{hint}"
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    first = mask_secrets(reason[0] if reason else type(error).__name__)
    message = f"Cannot open the store {mask_url(url)}: {first}"
    if parsed.get_backend_name() == "postgresql" and "does not exist" in first:
        options = " ".join(
            f"{flag} {value}"
            for flag, value in (("-h", parsed.host), ("-p", parsed.port), ("-U", parsed.username))
            if value
        )
        message += f" (create it with: createdb {options} {parsed.database})".replace("  ", " ")
    return message


def utcnow() -> datetime:
    """Naive UTC, as the store keeps times."""
    return datetime.now(UTC).replace(tzinfo=None)
