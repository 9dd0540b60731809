"""``scrapy crawl exports`` end to end: every fixture into SQLite and a feed; re-import
changes nothing in the store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from crawler.exports import reads_name
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
    # The .expected.json and PROVENANCE.md files beside the exports are skipped, not
    # failures; the files kept to be refused (an error expected: a dict, not a list of sets)
    # make the import partial (exit 3), and nothing else does.
    expectations = [p for folder in FOLDERS for p in (FIXTURES / folder).rglob("*.expected.json")]
    refusals = sum(isinstance(json.loads(p.read_text()), dict) for p in expectations)
    assert refusals, "the fixtures hold files that must be refused"
    assert first.returncode == 3, first.stderr[-3000:]
    assert f"'import/errors': {refusals}," in first.stderr
    others = [
        p for folder in FOLDERS for p in (FIXTURES / folder).rglob("*")
        if p.is_file() and not p.name.startswith(".") and not reads_name(p)
        and not any(part.startswith(".") for part in p.relative_to(FIXTURES).parts)
    ]  # fmt: skip
    assert f"'import/skipped': {len(others)}" in first.stderr
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
    assert second.returncode == 3, second.stderr[-3000:]  # the same refusals
    assert "store/created" not in second.stderr
    assert dump(tmp_path / "db.sqlite") == before


def test_no_path_is_a_usage_error_not_a_crash(tmp_path: Path) -> None:
    result = run_scrapy("crawl", "exports", "-s", f"DATABASE_URL=sqlite:///{tmp_path}/db.sqlite")
    assert result.returncode == 2
    assert "error: nothing to import: give -a path=" in result.stderr
    assert "Traceback" not in result.stderr
