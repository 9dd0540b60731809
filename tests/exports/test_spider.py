"""``scrapy crawl exports`` end to end: every fixture into SQLite and a feed; re-import
changes nothing in the store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import FIXTURES, run_scrapy

FOLDERS = ["exports", "tracklists1001", "mixesdb", "textblock"]


def dump(database: Path) -> dict[str, list[tuple]]:
    """Every row of every table except the bookkeeping of runs and fetch times."""
    with sqlite3.connect(database) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        return {
            t: sorted(map(repr, db.execute(f'select * from "{t}"')))
            for t in tables
            if t not in ("crawl_runs", "pages", "alembic_version")
        }


def test_import_then_reimport_changes_nothing(tmp_path: Path) -> None:
    paths = ",".join(str(FIXTURES / f) for f in FOLDERS)
    args = ["crawl", "exports", "-a", f"path={paths}",
            "-s", f"DATABASE_URL=sqlite:///{tmp_path}/db.sqlite"]  # fmt: skip
    first = run_scrapy(*args, "-O", str(tmp_path / "out.json"))
    # ok (exit 0): the .expected.json files beside the exports are skipped, not failures
    assert first.returncode == 0, first.stderr[-3000:]
    sidecars = [p for folder in FOLDERS for p in (FIXTURES / folder).glob("*.expected.json")]
    assert f"'import/skipped': {len(sidecars)}" in first.stderr
    assert "import/errors" not in first.stderr
    sets = json.loads((tmp_path / "out.json").read_text())
    # the folders' own expected files, and those of the DJ programs' files in sub-folders
    # (an error expected is a dict: no set)
    expected = sum(
        len(found) if isinstance(found := json.loads(p.read_text()), list) else 0
        for folder in FOLDERS
        for p in (FIXTURES / folder).rglob("*.expected.json")
    )
    assert len(sets) == expected
    assert f"'import/sets': {expected}" in first.stderr
    assert {s["source"] for s in sets} == {
        "traktor", "rekordbox", "serato", "virtualdj", "cue", "m3u",
        "1001tracklists", "mixesdb", "text", "mixxx", "engine", "playlist_csv",
    }  # fmt: skip
    # normalized on the way: raw lines from pages are split into artist and title
    bicep = next(s for s in sets if s["source"] == "1001tracklists" and s["djs"] == ["Bicep"])
    assert bicep["tracks"][1]["artist"] == "Barker"
    before = dump(tmp_path / "db.sqlite")
    assert len(before["sets"]) == expected

    second = run_scrapy(*args)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "store/created" not in second.stderr
    assert dump(tmp_path / "db.sqlite") == before


def test_no_path_is_a_usage_error_not_a_crash(tmp_path: Path) -> None:
    result = run_scrapy("crawl", "exports", "-s", f"DATABASE_URL=sqlite:///{tmp_path}/db.sqlite")
    assert result.returncode == 2
    assert "error: nothing to import: give -a path=" in result.stderr
    assert "Traceback" not in result.stderr
