"""The CSV feed (crawler/feeds.py): a row per track entry, its columns as the README lists them."""

from __future__ import annotations

import csv
from pathlib import Path

from crawler.feeds import CSV_COLUMNS, csv_rows
from crawler.items import DJSet
from tests.conftest import FIXTURES, run_scrapy

README_COLUMNS = [
    "set_title", "set_url", "djs", "date", "position", "cue_s",
    "artist", "featured", "title", "version", "label", "unknown", "key",
]  # fmt: skip


def test_an_import_s_csv_feed_carries_each_track_s_musical_key(tmp_path: Path) -> None:
    # Engine DJ's own playlist export: three tracks, keys 7A, 10A and 9A in its Key column
    export = FIXTURES / "exports" / "playlist_csv" / "engine_playlist.csv"
    run_scrapy(
        "crawl", "exports", "-a", f"path={export}",
        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/db.sqlite", "-O", str(tmp_path / "sets.csv"),
    ).check()  # fmt: skip
    with (tmp_path / "sets.csv").open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    assert header == README_COLUMNS == list(CSV_COLUMNS)
    assert [(r[4], r[8], r[-1]) for r in rows] == [
        ("1", "Shadow Of Doubt", "7A"), ("2", "Arete", "10A"), ("3", "Solis", "9A"),
    ]  # fmt: skip


def test_a_set_without_tracks_has_one_full_row() -> None:
    (row,) = csv_rows(DJSet(source="text", url="file:///sets/empty.txt", title="Empty"))
    assert len(row) == len(CSV_COLUMNS) and row[:2] == ["Empty", "file:///sets/empty.txt"]
    assert row[-1] == ""
