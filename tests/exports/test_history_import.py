"""``crawler import PROGRAM`` and ``-a source=PROGRAM``: the history found where each
program keeps it, on each system, read without touching the DJ's folders.

The homes and drives are temporary folders laid out as each system has them, holding
copies of the real fixtures (fixtures/exports/<format>/).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from crawler.exports.locations import NoHistory, find_history, places
from tests.conftest import FIXTURES, run_cli, run_scrapy
from tests.exports.test_dj_software import _folder_state

EXPORTS = FIXTURES / "exports"
MIXXX = EXPORTS / "mixxx/mixxxdb.sqlite"
ENGINE = EXPORTS / "engine/desktop-2.21/Database2/hm.db"
SERATO = EXPORTS / "serato_session/dj-2.4-mac-12.session"
PDB = EXPORTS / "rekordbox_pdb/history-73/PIONEER/rekordbox/export.pdb"
MASTER = EXPORTS / "refused/rekordbox6/master.db"


def _put(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


# (program, system, where the file goes under the home or drive, fixture)
LAYOUTS = [
    ("serato", "Darwin", "home/Music/_Serato_/History/Sessions/12.session", SERATO),
    ("serato", "Windows", "home/Music/_Serato_/History/Sessions/12.session", SERATO),
    ("mixxx", "Darwin", "home/Library/Application Support/Mixxx/mixxxdb.sqlite", MIXXX),
    ("mixxx", "Darwin", "home/Library/Containers/org.mixxx.mixxx/Data/Library/"
     "Application Support/Mixxx/mixxxdb.sqlite", MIXXX),
    ("mixxx", "Windows", "home/AppData/Local/Mixxx/mixxxdb.sqlite", MIXXX),
    ("mixxx", "Linux", "home/.local/share/mixxx/mixxxdb.sqlite", MIXXX),
    ("mixxx", "Linux", "home/.mixxx/mixxxdb.sqlite", MIXXX),
    ("engine", "Darwin", "home/Music/Engine Library/Database2/hm.db", ENGINE),
    ("engine", "Windows", "home/Music/Engine Library/Database2/hm.db", ENGINE),
    ("engine", "Linux", "drive/Engine Library/Database2/hm.db", ENGINE),
    ("rekordbox", "Darwin", "drive/PIONEER/rekordbox/export.pdb", PDB),
    ("rekordbox", "Linux", "drive/PIONEER/rekordbox/export.pdb", PDB),
    ("rekordbox", "Windows", "home/AppData/Roaming/Pioneer/rekordbox/master.db", MASTER),
]  # fmt: skip


@pytest.mark.parametrize(("program", "system", "where", "fixture"), LAYOUTS)
def test_found_where_the_program_keeps_it(
    tmp_path: Path, program: str, system: str, where: str, fixture: Path
) -> None:
    placed = _put(fixture, tmp_path / where)
    found = find_history(
        program, system=system, home=tmp_path / "home", env={}, drives=[tmp_path / "drive"]
    )
    assert found.folder == placed.parent
    assert placed in found.files


def test_every_system_has_places_for_every_program(tmp_path: Path) -> None:
    for program in ("serato", "mixxx", "engine", "rekordbox"):
        for system in ("Darwin", "Windows", "Linux"):
            assert places(program, system, tmp_path, {}, [tmp_path / "drive"])


def test_nothing_found_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(NoHistory, match="no Mixxx history found; looked in:\n") as caught:
        find_history("mixxx", system="Linux", home=tmp_path, env={}, drives=[])
    assert str(tmp_path / ".mixxx") in str(caught.value)


def test_a_path_given_may_be_the_programs_folder_or_above_it(tmp_path: Path) -> None:
    _put(SERATO, tmp_path / "Music/_Serato_/History/Sessions/12.session")
    for given in (
        tmp_path,
        tmp_path / "Music/_Serato_",
        tmp_path / "Music/_Serato_/History/Sessions",
    ):
        assert find_history("serato", given).folder == tmp_path / "Music/_Serato_/History/Sessions"


def test_crawler_import_reads_the_folder_says_it_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    library = _put(MIXXX, tmp_path / "mixxx/mixxxdb.sqlite").parent
    before = _folder_state(library)
    database = f"sqlite:///{tmp_path}/store.sqlite"
    out = tmp_path / "sets.json"
    result = run_cli("import", "mixxx", "--path", str(library), "-O", str(out),
                     "-s", f"DATABASE_URL={database}").check()  # fmt: skip
    assert f"reading Mixxx history in {library} (1 file)" in result.stderr
    assert len(json.loads(out.read_text())) == 44
    assert "'store/created': 44" in result.stderr
    assert _folder_state(library) == before

    # The DJ played on in the last session: the re-import updates that set, no new one.
    with sqlite3.connect(library / "mixxxdb.sqlite") as conn:
        conn.execute(
            "INSERT INTO PlaylistTracks (playlist_id, track_id, position, pl_datetime_added)"
            " SELECT 144, track_id, 2, '2023-05-18 18:07:29' FROM PlaylistTracks"
            " WHERE playlist_id = 143"
        )
    conn.close()
    again = run_cli("import", "mixxx", "--path", str(library),
                    "-s", f"DATABASE_URL={database}").check()  # fmt: skip
    assert "'store/updated': 1" in again.stderr
    assert "store/created" not in again.stderr
    with sqlite3.connect(f"{tmp_path}/store.sqlite") as store:
        assert store.execute("SELECT count(*) FROM sets").fetchone() == (44,)
    store.close()


def test_crawler_import_without_history_is_an_error_naming_the_places(tmp_path: Path) -> None:
    result = run_cli("import", "engine", "--path", str(tmp_path))
    assert result.returncode == 1
    assert "no Engine DJ history found; looked in:" in result.stderr
    # Mixxx's places only (Serato's, Engine's and rekordbox's folders were listed too)
    mixxx = run_cli("import", "mixxx", "--path", str(tmp_path)).stderr
    assert "Database2" not in mixxx and "Sessions" not in mixxx and "rekordbox" not in mixxx


def test_crawler_import_path_that_is_not_there_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("import", "mixxx", "--path", str(tmp_path / "typo"))
    assert (result.returncode, result.stderr.strip()) == (
        2, f"crawler import mixxx: --path {tmp_path / 'typo'}: no such file or folder"
    )  # fmt: skip


def test_exports_spider_source_argument(tmp_path: Path) -> None:
    _put(ENGINE, tmp_path / "stick/Engine Library/Database2/hm.db")
    out = tmp_path / "sets.json"
    stick = tmp_path / "stick"
    result = run_scrapy("crawl", "exports", "-a", "source=engine", "-a", f"path={stick}",
                        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/s.sqlite", "-s", "LOG_LEVEL=INFO",
                        "-O", str(out)).check()  # fmt: skip
    assert "Reading Engine DJ history in" in result.stderr
    sets = json.loads(out.read_text())
    assert len(sets) == 44 and {s["source"] for s in sets} == {"engine"}


def test_exports_spider_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    result = run_scrapy("crawl", "exports", "-a", "source=traktor",
                        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/s.sqlite")  # fmt: skip
    assert result.returncode == 2
    assert "-a source=traktor: one of serato, mixxx, engine, rekordbox" in result.stderr


def test_crawler_import_program_help_is_help() -> None:
    """`--help` after the program was taken as a Scrapy option: the command looked for a
    library (and, with one found, began the import) instead of showing its help."""
    result = run_cli("import", "mixxx", "--help")
    assert result.returncode == 0 and "--path P" in result.stdout
    assert "history" not in result.stderr
