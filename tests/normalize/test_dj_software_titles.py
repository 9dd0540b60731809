"""What DJ software and library tools write into titles and tracklist lines.

The key cases are titles of the real Engine DJ fixture (fixtures/exports/engine) and the
notations Mixed In Key writes; the line cases are the forms of VirtualDJ's tracklist.txt
and of numbered file names. Hand-written rows for the cases no fixture holds say so.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.items import TrackEntry
from crawler.normalize import normalize_track, parse_track_line
from crawler.normalize._musical_key import take_key


@pytest.mark.parametrize(
    ("title", "expected_title", "key"),
    [
        ("7A - Shadow Of Doubt (Original Mix)", "Shadow Of Doubt", "7A"),  # Engine fixture
        ("12A - 5 - Sight Unseen (Leeni & Danilo Kupfernagel Remix)", "Sight Unseen", "12A"),
        ("Strobe - 12A/1A", "Strobe", "12A/1A"),  # hand-written: two keys after the title
        ("9B - Opus", "Opus", "9B"),
        ("08a - Opus", "Opus", "8A"),  # hand-written: zero and lower case
        ("1m - Bicep Glue", "Bicep Glue", "1m"),  # hand-written: Open Key
        ("Glue [6A]", "Glue", "6A"),
        # not keys: nothing sets them apart from the title
        ("9B", "9B", None),
        ("2B Or Not 2B", "2B Or Not 2B", None),
        ("Plan B", "Plan B", None),
        ("Love Is 4A", "Love Is 4A", None),
    ],
)
def test_a_key_in_the_title_becomes_the_key(title: str, expected_title: str, key: str) -> None:
    entry = normalize_track(TrackEntry(artist="Artist", title=title))
    assert (entry.title, entry.key) == (expected_title, key)
    assert normalize_track(entry) == entry


def test_a_key_the_software_gave_is_kept_over_one_in_the_title() -> None:
    entry = normalize_track(TrackEntry(artist="A", title="8A - Title", key="Am"))
    assert (entry.title, entry.key) == ("Title", "Am")


@given(st.text(max_size=40), st.one_of(st.none(), st.sampled_from(["8A", "Am", "1m"])))
def test_taking_the_key_is_idempotent(title: str, key: str | None) -> None:
    once = take_key(title, key)
    assert take_key(*once) == once


@pytest.mark.parametrize(
    ("line", "cue", "artist", "title"),
    [
        # VirtualDJ tracklist.txt: the time, " : ", then the track
        ("21:05 : Daft Punk - One More Time", 21 * 60 + 5, "Daft Punk", "One More Time"),
        ("00:03 : Bicep - Glue", 3, "Bicep", "Glue"),
        ("1:02:03 : Bicep - Glue", 3723, "Bicep", "Glue"),
    ],
)
def test_virtualdj_tracklist_lines(line: str, cue: int, artist: str, title: str) -> None:
    entry = parse_track_line(line)
    assert (entry.cue_s, entry.artist, entry.title) == (cue, artist, title)


@pytest.mark.parametrize(
    ("line", "position", "artist", "title"),
    [
        ("01 - Track", 1, None, "Track"),
        ("01 Track", 1, None, "Track"),
        ("01 - Artist - Title", 1, "Artist", "Title"),
        ("05 - 2 Unlimited", 5, None, "2 Unlimited"),
    ],
)
def test_a_numbered_title(line: str, position: int, artist: str | None, title: str) -> None:
    entry = parse_track_line(line)
    assert (entry.position, entry.artist, entry.title) == (position, artist, title)
