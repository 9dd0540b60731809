"""A DJ's folder as it is: exports beside sidecars, pictures and notes.

Files whose name is not an export's are skipped, counted (``import/skipped``) and named on
one line, and leave the outcome alone; a file with an export's name that cannot be read
still makes the import partial. The importer's count line and the outcome line agree.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import crawler.exports
from crawler.exports import EXTENSIONS, FILE_READERS, READERS, FileReader, Reader, reads_name
from tests.conftest import FIXTURES, run_scrapy

EXPORTS = FIXTURES / "exports"
GOOD = ("traktor_history.nml", "mat_zo_abgt500.cue")


def dj_folder(root: Path) -> list[str]:
    """Two real exports with their sidecars, and the other files a history folder holds
    (hand-written: their content does not matter, only that they are not exports).
    Returns the names that must be skipped."""
    root.mkdir()
    for name in GOOD:
        shutil.copy(EXPORTS / name, root / name)
        stem = name.rsplit(".", 1)[0]
        shutil.copy(EXPORTS / f"{stem}.expected.json", root / f"{stem}.json")
    (root / "README.md").write_text("# My sets\n\nExports from the club nights.\n")
    (root / "PROVENANCE.md").write_text("Exported from Traktor and a CUE editor.\n")
    (root / "LICENSE").write_text("CC BY 4.0\n")  # no extension: read as a tracklist, once
    (root / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(512))
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(64))  # hidden: not even seen
    return ["LICENSE", "PROVENANCE.md", "README.md", "cover.jpg", "mat_zo_abgt500.json",
            "traktor_history.json"]  # fmt: skip


def import_folder(folder: Path, tmp_path: Path) -> tuple[int, str]:
    result = run_scrapy(
        "crawl", "exports", "-a", f"path={folder}",
        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/db.sqlite",
    )  # fmt: skip
    return result.returncode, result.stderr


def test_the_extensions_come_from_the_readers() -> None:
    """Every reader the package defines, in READERS or a registry of its own, has its
    files read in folders: a new reader cannot be left out of EXTENSIONS."""
    kinds = (Reader, FileReader)
    defined = [value for value in vars(crawler.exports).values() if isinstance(value, kinds)]
    for value in vars(crawler.exports).values():
        if isinstance(value, tuple | list) and value and all(isinstance(r, kinds) for r in value):
            defined += value
    assert set(READERS) | set(FILE_READERS) <= set(defined)
    for reader in defined:
        assert reader.extensions and set(reader.extensions) <= EXTENSIONS, reader.name
    assert {".nml", ".xml", ".csv", ".txt", ".m3u", ".m3u8", ".cue", ".html", ".gz"} <= EXTENSIONS
    assert {".session", ".sqlite", ".db", ".pdb"} <= EXTENSIONS  # the DJ programs' own files
    assert not {".json", ".md", ".jpg", ".png", ".pdf", ".zip"} & EXTENSIONS
    assert reads_name(Path("History/2024-05-01.NML"))
    assert not reads_name(Path("History/cover.JPG"))
    assert not reads_name(Path("History/LICENSE"))


def test_other_files_are_skipped_and_named_once(tmp_path: Path) -> None:
    skipped = dj_folder(tmp_path / "history")
    code, log = import_folder(tmp_path / "history", tmp_path)
    assert code == 0, log[-3000:]
    assert f"'import/skipped': {len(skipped)}" in log
    assert "'import/files': 2" in log and "import/errors" not in log
    (line,) = [ln for ln in log.splitlines() if "that are not exports" in ln]
    assert "INFO: Skipped 6 files that are not exports" in line
    for name in skipped:
        assert str(tmp_path / "history" / name) in line
    assert ".DS_Store" not in log
    assert "Crawl ok: 2 files read (0 unreadable, 6 other files skipped)" in log


def test_an_unreadable_export_still_makes_it_partial(tmp_path: Path) -> None:
    dj_folder(tmp_path / "history")
    (tmp_path / "history" / "broken.nml").write_text('<?xml version="1.0"?><NML VERSION="19"><CO')
    code, log = import_folder(tmp_path / "history", tmp_path)
    assert code == 3, log[-3000:]
    assert f"Cannot import {tmp_path / 'history' / 'broken.nml'}" in log
    assert "'import/errors': 1" in log


def test_a_file_named_on_the_command_line_is_read_whatever_its_name(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("nothing to see\n")
    code, log = import_folder(notes, tmp_path)
    assert code == 1, log[-3000:]  # the one file asked for could not be read: failed
    assert f"Cannot import {notes}: unknown format (.md)" in log


def test_the_count_line_and_the_outcome_line_agree(tmp_path: Path) -> None:
    """14 files, 2 good, 12 unreadable, and two folders the walk will not enter twice (a
    symlink loop): partial, and both lines say 14 files, 12 unreadable."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(EXPORTS / name, folder / name)
    for n in range(12):
        (folder / f"bad{n:02}.nml").write_bytes(b"<NML " + bytes(range(256)) * 8)
    (folder / "sub").mkdir()
    (folder / "sub" / "loop").symlink_to(folder)
    (folder / "loop").symlink_to(folder)
    code, log = import_folder(folder, tmp_path)
    assert code == 3, log[-3000:]
    counted = re.search(r"Imported (\d+) files: (\d+) sets, (\d+) unreadable", log)
    assert counted is not None and counted.groups() == ("14", "2", "12"), log[-3000:]
    assert "Crawl partial" in log
    assert "14 files read (12 unreadable), 2 folders not read" in log
    assert "12 files and 2 folders could not be imported" in log
