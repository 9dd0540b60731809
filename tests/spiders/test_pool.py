"""Reading files in reader processes gives what reading them in the crawl process gives."""

from __future__ import annotations

import dataclasses
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from crawler.normalize import normalize_set
from crawler.spiders._pool import READER_NICENESS, _yield_to_the_crawl, read_files
from crawler.store.identity import content_key
from crawler.store.sets import content_hash, prepared
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
    assert pooled_sets and all(s.notes.normalized for s in pooled_sets)
    errors = {r.path.name: r.error for r in pooled if r.error}
    # a page without a playlist is reported too, with the reason
    assert {n for n in errors if "no-playlist" not in n} == {
        "empty.html",
        "binary.dat",
        "missing.nml",
    }
    assert all(errors[n].startswith("no tracklist found") for n in errors if "no-playlist" in n)
    assert sum(len(r.sets) for r in pooled) == 8 * 6


def test_readers_prepare_the_stores_hashes_and_their_processes_yield(tmp_path: Path) -> None:
    files = _folder(tmp_path)
    pooled = list(read_files(files, 10_000_000, processes=2, serial_first=3))
    sets = [s for r in pooled[3:] for s in r.sets]
    assert sets
    for djset in sets:
        assert prepared(djset) == (content_hash(djset), content_key(djset))


def test_a_prepared_set_changed_after_reading_is_hashed_again(tmp_path: Path) -> None:
    files = _folder(tmp_path)
    pooled = [s for r in read_files(files, 10_000_000, processes=2, serial_first=3) for s in r.sets]
    changes = [
        lambda s: setattr(s, "title", (s.title or "") + " (edit)"),
        lambda s: s.djs.append("Another DJ"),  # a list changed in place
        lambda s: setattr(s.tracks[0], "artist", "Someone Else"),
        lambda s: s.tracks.pop(),
        lambda s: setattr(s, "tracks", [dataclasses.replace(t) for t in s.tracks]),  # same values
    ]
    for change, djset in zip(changes, pooled, strict=False):
        before = prepared(djset)
        assert before is not None
        change(djset)
        after = prepared(djset)
        if after is not None:  # still valid only when the values are what was hashed
            assert after == (content_hash(djset), content_key(djset))
        else:
            assert before != (content_hash(djset), content_key(djset))


def test_reader_processes_run_below_the_crawl_process() -> None:
    with ProcessPoolExecutor(1, initializer=_yield_to_the_crawl) as pool:
        reader = pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result()
    assert reader == min(19, os.getpriority(os.PRIO_PROCESS, 0) + READER_NICENESS)
