"""A store that cannot take a crawl is refused before the first request, in one line.

A damaged SQLite file (a garbage header, a truncated file, pages overwritten behind an
intact header) is found by ``PRAGMA quick_check`` through a read-only connection and left
byte for byte as it was; a read-only file or folder is refused as well. Nothing is sent
to the site, the exit code is 1, and one error line says why.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli, run_scrapy
from tests.incremental.conftest import FAST
from tests.incremental.site import ChangingSite

PAGE = 4096


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real store of 60 sets, made by a crawl."""
    folder = tmp_path_factory.mktemp("good")
    with ChangingSite("127.123.2.1", pages=60, per_index=20) as site:
        run_scrapy("crawl", "sets", "-a", f"start_urls={site.url('/')}",
                   "-s", f"DATABASE_URL=sqlite:///{folder}/crawler.db", *FAST).check()  # fmt: skip
    assert (folder / "crawler.db").stat().st_size > 40 * PAGE
    return folder / "crawler.db"


@pytest.fixture
def site() -> Iterator[ChangingSite]:
    with ChangingSite("127.123.2.2", pages=20) as s:
        yield s


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(site: ChangingSite, path: Path) -> str:
    """Crawl into ``path``: refused, in one line, nothing sent; that line."""
    result = run_scrapy("crawl", "sets", "-a", f"start_urls={site.url('/')}",
                        "-s", f"DATABASE_URL=sqlite:///{path}", *FAST)  # fmt: skip
    assert result.returncode == 1, result.stderr[-3000:]
    assert site.replies == [], "nothing was sent to the site"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if " ERROR: " in line]
    assert len(errors) == 1, result.stderr[-3000:]
    assert f"Cannot open the store sqlite:///{path}" in errors[0]
    return errors[0]


def _garbage_header(path: Path) -> None:
    path.write_bytes(b"This is not a SQLite file at all, but it is long enough.\n" * 200)


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damaged_pages(path: Path) -> None:
    """The header and the first pages intact, pages in the middle overwritten."""
    data = bytearray(path.read_bytes())
    middle = (len(data) // PAGE // 2) * PAGE
    data[middle : middle + 4 * PAGE] = b"\xa5" * (4 * PAGE)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "said"),
    [(_garbage_header, "file is not a database"), (_truncated, "malformed"),
     (_damaged_pages, "")],
    ids=["garbage header", "truncated", "damaged pages behind an intact header"],
)  # fmt: skip
def test_a_damaged_store_is_refused_and_left_byte_identical(
    good_store: Path, site: ChangingSite, tmp_path: Path, damage: object, said: str
) -> None:
    path = tmp_path / "crawler.db"
    shutil.copy(good_store, path)
    damage(path)  # type: ignore[operator]
    before = _digest(path)
    line = _refused(site, path)
    assert said in line and "the file is left as it is" in line, line
    assert _digest(path) == before


def test_a_read_only_store_file_is_refused(good_store: Path, site: ChangingSite,
                                           tmp_path: Path) -> None:  # fmt: skip
    path = tmp_path / "crawler.db"
    shutil.copy(good_store, path)
    path.chmod(0o444)
    assert "the file is read-only" in _refused(site, path)


def test_a_store_in_a_read_only_folder_is_refused(good_store: Path, site: ChangingSite,
                                                  tmp_path: Path) -> None:  # fmt: skip
    folder = tmp_path / "store"
    folder.mkdir()
    shutil.copy(good_store, folder / "crawler.db")
    folder.chmod(0o555)
    try:
        assert "is read-only" in _refused(site, folder / "crawler.db")
    finally:
        folder.chmod(0o755)


def test_a_sound_store_passes_the_check(good_store: Path) -> None:
    from crawler.store.db import sqlite_damage

    assert sqlite_damage(good_store) is None


def test_export_from_a_damaged_store_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "crawler.db"
    _garbage_header(path)
    before = _digest(path)
    result = run_cli("export", "--database", f"sqlite:///{path}", "-o", str(tmp_path / "x.json"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"crawler export: the store {path} is damaged: file is not a database"
    ]
    assert _digest(path) == before


# -- another program's database named as the store ---------------------------------------------

LIBRARIES = ["mixxx/mixxxdb.sqlite", "engine/desktop-2.21/Database2/hm.db"]


def _library(tmp_path: Path, fixture: str, journal: str) -> tuple[Path, dict[str, str]]:
    """A DJ program's library (real files, fixtures/exports) alone in a folder, in either
    journal mode SQLite leaves a closed database in, and the folder's files with their
    digests."""
    import sqlite3

    from tests.conftest import FIXTURES

    folder = tmp_path / "library"
    folder.mkdir()
    path = folder / Path(fixture).name
    shutil.copyfile(FIXTURES / "exports" / fixture, path)
    if journal == "wal":  # read with SQLite's locking, it would get a -wal and -shm
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    return path, _folder(folder)


def _folder(folder: Path) -> dict[str, str]:
    return {p.name: _digest(p) for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("journal", ["delete", "wal"])
@pytest.mark.parametrize("fixture", LIBRARIES)
def test_a_dj_library_named_as_the_store_is_refused_by_every_command(
    site: ChangingSite, tmp_path: Path, fixture: str, journal: str
) -> None:
    """`export`, `duplicates` and `serve` used to create the store's tables in it (and a
    .migrate-lock beside it), a crawl too; each now says so in one line, writing nothing
    to the file or beside it."""
    path, before = _library(tmp_path, fixture, journal)
    url = f"sqlite:///{path}"
    said = "it is another program's database (tables "
    assert said in _refused(site, path)
    for args in (["export", "--database", url, "-o", str(tmp_path / "x.json")],
                 ["duplicates", "--database", url],
                 ["serve", "--database", url, "--port", "9"],
                 ["serve", "--database", url, "keys", "list"]):  # fmt: skip
        result = run_cli(*args)
        assert result.returncode in (1, 2), result.stderr[-3000:]
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and said in lines[0] and "nothing was written" in lines[0], lines
        assert _folder(path.parent) == before, args
    assert not (tmp_path / "x.json").exists()


@pytest.mark.postgres
def test_a_postgres_database_of_another_program_is_refused(postgres_url: str) -> None:
    import sqlalchemy

    from crawler.store.db import ForeignDatabase, create_store_engine, upgrade

    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("CREATE TABLE playlists (id int)"))
    result = run_cli("export", "--database", postgres_url, "-o", "-")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "another program's database (tables playlists)" in lines[0]
    with pytest.raises(ForeignDatabase):
        upgrade(create_store_engine(postgres_url))
    with engine.connect() as conn:
        assert sqlalchemy.inspect(conn).get_table_names() == ["playlists"]
    engine.dispose()


def test_a_store_is_known_from_its_header(good_store: Path) -> None:
    """Migration 0015 stamps a SQLite store's application_id: the check of every engine
    then reads 100 bytes, once a process, and opens no connection."""
    from crawler.store.db import STORE_APPLICATION_ID, sqlite_foreign

    header = good_store.read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == STORE_APPLICATION_ID
    assert sqlite_foreign(good_store) is None


def test_an_empty_database_and_any_store_are_not_foreign() -> None:
    from crawler.store.db import foreign_tables

    assert foreign_tables(set(), None) is None
    assert foreign_tables({"sqlite_sequence"}, None) is None
    assert foreign_tables({"sets", "alembic_version"}, "0003") is None
    assert foreign_tables({"sets", "alembic_version"}, "0099") is None  # a newer store
    assert "revision 'ae1027a6acf' is not a store's" in str(
        foreign_tables({"users", "alembic_version"}, "ae1027a6acf")
    )


def test_export_says_in_one_line_what_it_cannot_open_or_write(
    good_store: Path, tmp_path: Path
) -> None:
    cases = [
        (["--database", str(good_store), "-o", str(tmp_path / "x.json")],
         f"crawler export: DATABASE_URL is not a database URL: '{good_store}'"
         f" (a SQLite file's URL is sqlite:///{good_store})"),
        (["--database", f"sqlite:///{good_store}", "--format", "json", "-o", str(tmp_path)],
         f"crawler export: cannot write {tmp_path}: Is a directory"),
    ]  # fmt: skip
    for args, said in cases:
        result = run_cli("export", *args)
        assert (result.returncode, result.stderr.strip().splitlines()) == (1, [said])
