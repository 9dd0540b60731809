"""MusicBrainz JSON as sets, offline, on saved /ws/2 responses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crawler.normalize import normalize_set
from crawler.sites import musicbrainz as mb
from tests.conftest import FIXTURES

MB = FIXTURES / "musicbrainz"


def load(name: str) -> dict[str, Any]:
    return json.loads((MB / f"{name}.json").read_text(encoding="utf-8"))


def test_a_release_lookup_is_one_set_with_every_track_and_its_mbid() -> None:
    (djset,) = [normalize_set(s) for s in mb.release_sets(load("picard_release"))]
    release = load("picard_release")
    tracks = [t for m in release["media"] for t in m["tracks"]]
    assert djset.source == "musicbrainz"
    assert djset.url == "https://musicbrainz.org/release/b84ee12a-09ef-421b-82de-0441a926375b"
    assert (djset.title, djset.djs, djset.date, djset.label) == (
        "The Dark Side of the Moon", ["Pink Floyd"], "1973-03-24", "Harvest",
    )  # fmt: skip
    assert len(djset.tracks) == len(tracks) == 10
    assert [t.recording_mbid for t in djset.tracks] == [t["recording"]["id"] for t in tracks]
    assert [t.position for t in djset.tracks] == list(range(1, 11))
    assert djset.tracks[0].title == "Speak to Me" and djset.tracks[0].duration_s == 68
    assert not mb.is_dj_mix(release)


def test_a_release_holding_two_mixes_is_one_set_per_medium() -> None:
    sets = [normalize_set(s) for s in mb.release_sets(load("handwritten_release_two_mixes"))]
    one, two = sets
    base = "https://musicbrainz.org/release/00000000-0000-4000-8000-000000000001"
    assert [s.url for s in sets] == [base + "#disc1", base + "#disc2"]
    assert [s.title for s in sets] == ["Two Rooms: Room One", "Two Rooms: CD 2"]
    assert (one.djs, two.djs) == (["DJ Alpha"], ["Beta"])  # each medium's mix-DJ
    assert one.date == "2019-05"  # partial dates as given
    assert one.label == "Example Records"
    grey = one.tracks[0]
    assert (grey.artist, grey.featured, grey.title, grey.version) == (
        "Kölsch", ["Troels Abrahamsen"], "Grey", "Tale of Us remix",
    )  # fmt: skip
    assert grey.isrcs == ["DEKO11200101", "DEKO11200102"]
    assert one.tracks[1].artist == "Adam Beyer & Bart Skils"  # joined as credited
    assert one.tracks[1].duration_s is None
    assert one.tracks[2].artist == "DJ Alpha & Beta"  # no track credit: the release's
    assert (two.tracks[0].artist, two.tracks[0].featured) == ("Gamma vs. Delta", ["Epsilon"])
    assert one.duration_s is None and two.duration_s == 662


def test_the_mix_dj_relation_names_the_djs_of_a_release() -> None:
    (djset,) = mb.release_sets(load("picard_release_djmix"))
    assert djset.url == "https://musicbrainz.org/release/9ba03e85-de11-411c-914c-4e956e53e292"
    assert (djset.title, djset.date) == ("Complete Me", "2009-08-03")
    # The saved answer has no artist credit: the mix-DJ relation (for medium 2) names the DJ.
    assert djset.djs == ["Frankmusik"]
    assert djset.tracks == []  # saved without its media


@pytest.mark.parametrize(
    ("credits", "expected"),
    [
        ([("A", "")], ("A", [])),
        ([("A", " & "), ("B", "")], ("A & B", [])),
        ([("A", " feat. "), ("B", "")], ("A", ["B"])),
        ([("A", " ft. "), ("B", " & "), ("C", "")], ("A", ["B", "C"])),
        ([("A", " vs. "), ("B", " featuring "), ("C", "")], ("A vs. B", ["C"])),
        ([("A", ", "), ("B", " and "), ("C", "")], ("A, B and C", [])),
        ([], (None, [])),
    ],
)
def test_artist_credits_split_at_featuring_join_phrases(
    credits: list[tuple[str, str]], expected: tuple[str | None, list[str]]
) -> None:
    credit = [{"name": n, "joinphrase": j, "artist": {"id": n, "name": n}} for n, j in credits]
    assert mb.split_credit(credit) == expected


def test_paging_of_browse_and_search_answers() -> None:
    releases = [{"id": str(n)} for n in range(25)]
    assert mb.next_offset({"release-count": 30, "releases": releases}, "release", 0) == 25
    assert mb.next_offset({"release-count": 30, "releases": releases[:5]}, "release", 25) is None
    assert mb.next_offset({"count": 101, "releases": releases}, "release", 100) is None
    assert mb.next_offset({"count": 0, "releases": []}, "release", 0) is None


def test_request_urls_ask_for_everything_in_one_request() -> None:
    api = "https://musicbrainz.org/ws/2/"
    url = mb.release_url(api, "b84ee12a-09ef-421b-82de-0441a926375b")
    assert url.startswith("https://musicbrainz.org/ws/2/release/b84ee12a-")
    assert "inc=recordings%2Bartist-credits%2Bisrcs%2Blabels%2Brelease-groups" in url
    browse = mb.browse_releases_url(api, "artist", "x", 25)
    assert "artist=x" in browse and "type=dj-mix" in browse and "offset=25" in browse
    assert "secondarytype%3A%22dj-mix%22" in mb.search_releases_url(api, "fabric")


def test_several_media_of_a_release_that_is_no_dj_mix_are_one_set() -> None:
    release = load("picard_release_multidisc")
    (djset,) = mb.release_sets(release)
    assert len(release["media"]) == 2
    assert len(djset.tracks) == sum(len(m["tracks"]) for m in release["media"]) == 7
    assert [t.position for t in djset.tracks] == list(range(1, 8))
    assert djset.url == f"https://musicbrainz.org/release/{release['id']}"
