"""Reading files in reader processes gives what reading them in the crawl process gives."""

from __future__ import annotations

import shutil
from pathlib import Path

from crawler.exports.pool import read_files
from crawler.normalize import normalize_set
from tests.conftest import FIXTURES


def _folder(tmp_path: Path) -> list[Path]:
    files = []
    for i, source in enumerate(sorted((FIXTURES / "schemaorg").glob("*.html")) * 8):
        target = tmp_path / f"{i:03d}-{source.name}"
        shutil.copy(source, target)
        files.append(target)
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "binary.dat").write_bytes(bytes(range(256)) * 8)
    return [*files, tmp_path / "empty.html", tmp_path / "binary.dat", tmp_path / "missing.nml"]


def test_reader_processes_match_reading_in_process(tmp_path: Path) -> None:
    files = _folder(tmp_path)
    serial = list(read_files(files, 10_000_000, processes=0))
    pooled = list(read_files(files, 10_000_000, processes=2, serial_first=3))
    assert [r.path for r in pooled] == files  # in order
    # reader processes also normalize (with the same function), and say so
    expected = [([normalize_set(s) for s in r.sets], r.error) for r in serial]
    assert [([normalize_set(s) for s in r.sets], r.error) for r in pooled] == expected
    assert [s for r in pooled[3:] for s in r.sets] == [s for e, _ in expected[3:] for s in e]
    pooled_sets = [s for r in pooled[3:] for s in r.sets]
    assert pooled_sets and all(vars(s).get("_normalized_by_reader") for s in pooled_sets)
    errors = {r.path.name: r.error for r in pooled if r.error}
    # a page without a playlist is reported too, with the reason
    assert {n for n in errors if "no-playlist" not in n} == {
        "empty.html",
        "binary.dat",
        "missing.nml",
    }
    assert all(errors[n].startswith("no tracklist found") for n in errors if "no-playlist" in n)
    assert sum(len(r.sets) for r in pooled) == 8 * 6
