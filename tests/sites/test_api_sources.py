"""The pure readers of the sources that say yes, offline on their saved answers."""

from __future__ import annotations

import json
from typing import Any

from crawler.sites import kexp, mixesdb, setlistfm
from tests.conftest import FIXTURES


def _load(folder: str, name: str) -> Any:
    return json.loads((FIXTURES / folder / f"{name}.json").read_text(encoding="utf-8"))


def test_a_kexp_show_in_air_order_whatever_the_order_of_its_plays() -> None:
    show = _load("kexp", "kexppower_shows_v2")["results"][0]
    plays = _load("kexp", "kexppower_plays_v2")["results"]
    newest_first = kexp.show_set(show, plays)
    shuffled = kexp.show_set(show, plays[7:] + plays[:7])  # pages read out of order
    assert [t.raw for t in newest_first.tracks] == [t.raw for t in shuffled.tracks]
    tracks = newest_first.tracks
    assert len(tracks) == 15 and tracks[0].raw == "Elias Negash - We'll Meet Again (Dub Style)"
    assert tracks[0].label == "SophEl Recordings" and tracks[0].recording_mbid is None
    assert [t.label for t in tracks if t.artist == "ill-esha"] == [None]  # "[no label]"
    groups = [t.release_group_mbid for t in tracks]
    assert groups[0] is None  # "release_group_id": a placeholder, not a UUID
    assert tracks[-1].release_group_mbid == "b48019f0-0583-4b71-ade1-04a8449a1c0f"
    assert len([g for g in groups if g]) == 6
    assert newest_first.genres == ["Electronic", "World"]


def test_a_show_with_hosts_expanded_and_no_start_time() -> None:
    show = {"id": 1, "uri": "https://api.kexp.org/v2/shows/1/", "program_name": "X",
            "hosts": [{"id": 50, "name": "Eva Walker"}]}  # fmt: skip
    djset = kexp.show_set(show, [])
    assert djset.djs == ["Eva Walker"] and djset.date is None and djset.tracks == []


def test_setlist_pages_are_counted_from_total_and_items_per_page() -> None:
    page = _load("setlistfm", "setlistfm_ts_phish_setlists")
    assert setlistfm.page_count(page) == 104  # 2073 setlists, 20 a page
    assert setlistfm.page_count({"total": 20, "itemsPerPage": 20}) == 1
    assert setlistfm.page_count({}) == 1


def test_a_setlist_with_an_unknown_song_keeps_its_place() -> None:
    djset = setlistfm.setlist_set(_load("setlistfm", "handwritten_setlist_unknown_song"))
    assert djset.date == "2019-06-14" and djset.venue == "Handwritten Hall, Berlin, Germany"
    assert djset.event is None and djset.title == "Pearl Jam @ Handwritten Hall"
    unknown = djset.tracks[2]
    assert unknown.unknown and unknown.position == 3 and unknown.raw == "ID - ID"
    assert djset.tracks[0].raw == "Pearl Jam - Release (tape)"


def test_a_parse_answer_is_read_by_the_mixesdb_page_class() -> None:
    html = (FIXTURES / "mixesdb" / "jeff_mills_liquid_room.html").read_text(encoding="utf-8")
    start = html.index('<div class="mw-parser-output">')
    end = html.index("</div></div>", start)  # the content's own closing tags
    text = html[start:end] + "</div>"
    title = "2000-09-29 - Jeff Mills @ The Liquid Room, Tokyo"
    version_2 = {"parse": {"title": title, "text": text}}
    version_1 = {"parse": {"title": title, "text": {"*": text}}}
    for answer in (version_2, version_1):
        (djset,) = mixesdb.parsed_page_sets(answer)
        assert djset.djs == ["Jeff Mills"] and djset.venue == "The Liquid Room, Tokyo"
        assert len(djset.tracks) == 5
    assert mixesdb.api_error({"error": {"code": "maxlag"}}) == "maxlag"
    assert mixesdb.parsed_page_sets({"error": {"code": "missingtitle"}}) == []
