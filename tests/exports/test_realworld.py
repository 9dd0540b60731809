"""The importer on real files written by DJ software, saved by browsers or pasted by people.

Every file under fixtures/realworld/<format>/ was copied unchanged from a public
repository (PROVENANCE in each folder names it); beside it, ``<file>.expected.json``
holds what a person reading the file takes from it (written from the importer's output
and checked against the file): the sets, their tracks and every field after
normalization, or the reason the file yields no set. A file is fully right when
everything matches.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from crawler.exports import UnreadableFile, read_path
from crawler.normalize import normalize_set
from tests._items import with_defaults
from tests.conftest import FIXTURES

REALWORLD = FIXTURES / "realworld"
FILES = sorted(
    p
    for p in REALWORLD.rglob("*")
    if p.is_file() and p.name != "PROVENANCE" and not p.name.endswith(".expected.json")
)


def _expected(path: Path) -> object:
    text = path.with_name(path.name + ".expected.json").read_text(encoding="utf-8")
    expected = json.loads(text.replace("{fixtures}", FIXTURES.resolve().as_uri()))
    return with_defaults(expected) if isinstance(expected, list) else expected


def _imported(path: Path) -> object:
    try:
        return [dataclasses.asdict(normalize_set(s)) for s in read_path(path)]
    except UnreadableFile as exc:
        return {"error": exc.reason}


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(REALWORLD)) for p in FILES])
def test_real_file_fully_right(path: Path) -> None:
    assert _imported(path) == _expected(path)


def test_the_corpus_is_large_and_varied() -> None:
    assert len(FILES) >= 40
    formats = {p.parent.name for p in FILES}
    assert formats >= {
        "traktor_nml", "rekordbox_xml", "rekordbox_txt", "serato_csv", "serato_txt",
        "cue", "m3u", "virtualdj", "saved_page",
    }  # fmt: skip
    for folder in {p.parent for p in FILES}:
        provenance = (folder / "PROVENANCE").read_text(encoding="utf-8")
        assert all(p.name in provenance for p in FILES if p.parent == folder)
