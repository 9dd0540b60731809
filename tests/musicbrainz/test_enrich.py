"""`crawler enrich musicbrainz` on a real SQLite store, against the loopback service."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.enrich.matching import Candidate, Wanted, best_match, score
from crawler.items import DJSet, TrackEntry
from crawler.normalize import normalize_set
from crawler.store.db import session_factory
from crawler.store.models import Artist, SetEntry, Track
from crawler.store.sets import store_sets
from tests.conftest import run_cli
from tests.musicbrainz.server import MusicBrainzSite, terms_file

HOST = "127.0.0.6"
LUNE = "46b97aca-a524-4993-8ec5-93c736081442"
THINKING = "cb2cc207-8125-445c-9ef9-6ea44eee959a"
LINES = [
    ("Tim Green", "Lune", None),
    ("Ed Sheeran", "Thinking Out Loud", None),
    ("Tim Green", "Lune", "Dixon Remix"),  # another version: refused
    ("Someone Else", "Lune", None),  # another artist: refused
    ("Tim Grean", "Lune", None),  # a typo: the same recording, so the same track
]


def candidate(**kw: object) -> Candidate:
    values = {"mbid": "m", "artist": "Tim Green", "title": "Lune", "version": None,
              "duration_s": 567} | kw  # fmt: skip
    return Candidate(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wanted", "found", "accepted"),
    [
        (Wanted(1, "Tim Green", "Lune"), candidate(), True),
        (Wanted(1, "tim green", "LUNE", duration_s=569), candidate(), True),
        (Wanted(1, "Tim Green", "Lune", duration_s=640), candidate(), False),  # 73 s apart
        (Wanted(1, "Tim Green", "Lune", "Dixon Remix"), candidate(), False),
        (Wanted(1, "Tim Green", "Lune"), candidate(version="Dixon Remix"), False),
        (Wanted(1, "Tim Green", "Lune", "Dixon Remix"), candidate(version="Dixon Remix"), True),
        (Wanted(1, "Tim Green", "Lune", "Dixon Remix"), candidate(version="Âme Remix"), False),
        (Wanted(1, "Someone Else", "Lune"), candidate(), False),
        (Wanted(1, "Tim Green", "Moon"), candidate(), False),
        (Wanted(1, "Tim Green & Friend", "Lune"), candidate(), True),  # more names, same act
    ],
)
def test_confidence_accepts_known_recordings_and_refuses_weak_matches(
    wanted: Wanted, found: Candidate, accepted: bool
) -> None:
    assert (best_match(wanted, [found], 85.0) is not None) is accepted, score(wanted, found)


@pytest.fixture
def service() -> Iterator[MusicBrainzSite]:
    with MusicBrainzSite(HOST) as site:
        yield site


def seeded_store(tmp: Path) -> str:
    url = f"sqlite:///{tmp}/store.db"
    tracks = [TrackEntry(artist=a, title=t, version=v) for a, t, v in LINES]
    tracks.append(TrackEntry(artist="Kölsch", title="Grey", recording_mbid="m-from-a-source"))
    djset = normalize_set(DJSet(source="text", url="https://radio.example/1", tracks=tracks))
    with session_factory(url).begin() as session:
        store_sets(session, [djset], datetime(2026, 12, 1))
    return url


def enrich(site: MusicBrainzSite, tmp: Path, database: str, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "enrich", "musicbrainz", "--database", database, "--api-url", site.url("/ws/2"),
        "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", f"SITE_POLICY_FILE={terms_file(tmp, HOST)}",
        *args,
    )  # fmt: skip


def searches(site: MusicBrainzSite) -> list[str]:
    return [r.path for r in site.requests() if r.path.startswith("/ws/2/recording?")]


def test_enrichment_matches_resumes_and_never_asks_twice(
    service: MusicBrainzSite, tmp_path: Path
) -> None:
    database = seeded_store(tmp_path)
    first = enrich(service, tmp_path, database, "--limit", "2").check()
    assert len(searches(service)) == 2
    assert "2 matched" in first.stdout
    runs = [len(service.requests())]
    enrich(service, tmp_path, database).check()  # the rest, where the first run stopped
    assert len(searches(service)) == 5
    runs.append(len(service.requests()))
    enrich(service, tmp_path, database).check()
    assert len(searches(service)) == 5  # nothing left to ask

    with session_factory(database)() as session:
        rows = session.execute(
            select(Artist.name, Track.title, Track.version, Track.mbid, Track.isrcs,
                   Track.mbid_score, Track.mbid_matched_at, Track.mbid_checked_at, Track.id)
            .join(Artist, Artist.id == Track.artist_id).order_by(Track.id)
        ).all()  # fmt: skip
        entries = session.execute(
            select(SetEntry.artist, SetEntry.track_id).order_by(SetEntry.ordinal)
        ).all()
    by_line = {(a, t, v): row for a, t, v, *row in rows}
    lune = by_line[("Tim Green", "Lune", None)]
    assert lune[0] == LUNE and lune[2] == 100.0 and lune[3] is not None
    thinking = by_line[("Ed Sheeran", "Thinking Out Loud", None)]
    assert (thinking[0], thinking[1]) == (THINKING, ["GBAHS1400099"])
    for refused in [("Tim Green", "Lune", "Dixon Remix"), ("Someone Else", "Lune", None)]:
        mbid, _, score_, matched, checked, _ = by_line[refused]
        assert (mbid, score_, matched) == (None, None, None) and checked is not None
    source = by_line[("Kölsch", "Grey", None)]
    assert source[0] == "m-from-a-source" and source[2] is None and source[4] is None
    typo = by_line[("Tim Grean", "Lune", None)]
    assert typo[0] == LUNE
    # one MBID, one track: the typo's entry now points at the first "Lune"
    assert entries[4] == ("Tim Grean", lune[5]) and entries[0] == ("Tim Green", lune[5])

    # one request a second within each run (a new process knows nothing of the last one's
    # pace: runs started back to back may be closer than that, as with any two crawls)
    times = [r.time for r in service.requests()]
    for start, end in itertools.pairwise([0, *runs, len(times)]):
        run = times[start:end]
        assert all(b - a >= 1.0 - 0.01 for a, b in itertools.pairwise(run))
