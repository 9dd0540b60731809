"""The spool on its own: durable appends, replays that skip running writers, and a line
cut short by a kill."""

from __future__ import annotations

from pathlib import Path

from crawler.items import DJSet, TrackEntry
from crawler.store.spool import Spool, from_json, to_json

URL = "sqlite:///store.db"


def _set(n: int) -> DJSet:
    track = TrackEntry(position=1, artist="X", title=f"T{n}", featured=["Y"])
    return DJSet(source="test", url=f"https://example.org/{n}", djs=["A"], tracks=[track])


def test_a_set_survives_the_round_trip() -> None:
    item = _set(1)
    assert from_json(to_json(item)) == item


def test_a_running_writer_s_file_is_not_replayed_and_an_ended_one_is(tmp_path: Path) -> None:
    writer = Spool(tmp_path, URL)
    writer.add([_set(1), _set(2)])
    reader = Spool(tmp_path, URL)
    stored: list[DJSet] = []
    assert reader.replay(lambda items: stored.extend(items) or []) == 0  # still locked
    writer.close()
    assert reader.replay(lambda items: stored.extend(items) or []) == 2
    assert [s.url for s in stored] == ["https://example.org/1", "https://example.org/2"]
    assert not list(reader.folder.glob("*.jsonl"))


def test_sets_the_store_still_refuses_stay_in_the_file(tmp_path: Path) -> None:
    writer = Spool(tmp_path, URL)
    writer.add([_set(1), _set(2), _set(3)])
    writer.close()
    reader = Spool(tmp_path, URL)
    assert reader.replay(lambda items: [i for i in items if i.url.endswith("/2")], batch=1) == 2
    assert reader.pending() == 1
    assert reader.replay(lambda items: []) == 1
    assert reader.pending() == 0


def test_a_last_line_cut_short_is_dropped_and_a_bad_whole_line_kept(tmp_path: Path) -> None:
    writer = Spool(tmp_path, URL)
    writer.add([_set(1)])
    assert writer.path is not None
    path = writer.path
    writer.close()
    with path.open("a", encoding="utf-8") as handle:
        handle.write("not json\n")
        handle.write(to_json(_set(2))[:25])  # a kill in the middle of a write
    reader = Spool(tmp_path, URL)
    assert reader.replay(lambda items: []) == 1
    assert path.read_text(encoding="utf-8") == "not json\n"


def test_each_store_has_its_own_folder(tmp_path: Path) -> None:
    assert Spool(tmp_path, URL).folder != Spool(tmp_path, "sqlite:///other.db").folder


def test_an_empty_spool_leaves_no_file(tmp_path: Path) -> None:
    writer = Spool(tmp_path, URL)
    writer.add([_set(1)])
    writer.keep_own([])
    writer.close()
    assert not list(writer.folder.glob("*.jsonl"))
