"""`scrapy crawl musicbrainz` against a loopback web service serving saved responses.

The DJ-mix release with two mixes served here (and its copies, for paging) is the
hand-written edge case of fixtures/musicbrainz/ (several mixes on one release, each with its
own DJ); the spider on real saved answers alone is tested in test_real_answers.py."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, select

from crawler.store.models import SetEntry, Track
from tests.conftest import run_scrapy
from tests.musicbrainz.server import (
    ARTIST,
    DSOTM,
    GROUP_SERIES,
    SERIES,
    TWO_MIXES,
    MusicBrainzSite,
    terms_file,
)

HOST = "127.0.0.5"


@pytest.fixture
def service() -> Iterator[MusicBrainzSite]:
    with MusicBrainzSite(HOST, busy=(f"/ws/2/release/{TWO_MIXES}",)) as site:
        yield site


def crawl(site: MusicBrainzSite, tmp: Path, *args: str, permission: bool = True):  # type: ignore[no-untyped-def]
    terms = terms_file(tmp, HOST, permission)
    return run_scrapy(
        "crawl", "musicbrainz", *args,
        "-s", f"MUSICBRAINZ_API_URL={site.url('/ws/2')}", "-s", "ALLOW_PRIVATE_HOSTS=True",
        "-s", f"SITE_POLICY_FILE={terms}", "-s", f"DATABASE_URL=sqlite:///{tmp}/mb.db",
        "-O", str(tmp / "sets.json"),
    )  # fmt: skip


def gaps(site: MusicBrainzSite) -> list[float]:
    times = [r.time for r in site.requests()]
    return [b - a for a, b in itertools.pairwise(times)]


def test_releases_become_sets_with_their_mbids_at_one_request_a_second(
    service: MusicBrainzSite, tmp_path: Path
) -> None:
    result = crawl(service, tmp_path, "-a", f"release={TWO_MIXES},{DSOTM}").check()
    sets = json.loads((tmp_path / "sets.json").read_text())
    urls = sorted(s["url"] for s in sets)
    base = "https://musicbrainz.org/release/"
    assert urls == [base + f"{TWO_MIXES}#disc1", base + f"{TWO_MIXES}#disc2", base + DSOTM]
    room = next(s for s in sets if s["url"].endswith("#disc1"))
    assert room["source"] == "musicbrainz" and room["djs"] == ["DJ Alpha"]
    assert [t["recording_mbid"] for t in room["tracks"]] == [
        "00000000-0000-4000-8000-000000000201",
        "00000000-0000-4000-8000-000000000202",
        "00000000-0000-4000-8000-000000000203",
    ]
    assert room["tracks"][0]["isrcs"] == ["DEKO11200101", "DEKO11200102"]
    dsotm = next(s for s in sets if s["url"].endswith(DSOTM))
    assert len(dsotm["tracks"]) == 10  # asked for by MBID: imported whatever its type

    # robots.txt disallows /ws; the documented permission in the site terms lets /ws/2/ in
    paths = [r.path.split("?")[0] for r in service.requests()]
    assert paths[0] == "/robots.txt"
    assert paths.count(f"/ws/2/release/{TWO_MIXES}") == 2  # a 503, then after Retry-After
    assert "documented permission for programs" in result.stderr
    assert "'politeness/robots/api_permission'" in result.stderr
    # the server's own log: never two requests closer than one second
    assert min(gaps(service)) >= 1.0 - 0.01
    ua = service.requests()[-1].user_agent
    assert ua.startswith("PoliteTracklistCrawler/")

    engine = create_engine(f"sqlite:///{tmp_path}/mb.db")
    with engine.connect() as conn:
        grey = conn.execute(
            select(Track.id, Track.mbid, Track.isrcs, Track.duration_s, Track.mbid_score).where(
                Track.mbid == "00000000-0000-4000-8000-000000000201"
            )
        ).all()
        entries = conn.execute(
            select(SetEntry.track_id, SetEntry.artist).where(
                SetEntry.recording_mbid == "00000000-0000-4000-8000-000000000201"
            )
        ).all()
    engine.dispose()
    assert len(grey) == 1  # "Kölsch" and "Kolsch": one MBID, one track
    (track_id, _, isrcs, duration, score) = grey[0]
    assert (isrcs, duration, score) == (["DEKO11200101", "DEKO11200102"], 412, None)
    assert sorted(a for _, a in entries) == ["Kolsch", "Kölsch"]
    assert {t for t, _ in entries} == {track_id}


def test_an_artist_s_dj_mixes_page_by_page(service: MusicBrainzSite, tmp_path: Path) -> None:
    crawl(service, tmp_path, "-a", f"artist={ARTIST}").check()
    sets = json.loads((tmp_path / "sets.json").read_text())
    assert len(sets) == 60  # 30 releases of two mixes each, over two browse pages
    browse = [r.path for r in service.requests() if r.path.startswith("/ws/2/release?")]
    assert len(browse) == 2 and "offset=25" in browse[1]


def test_a_search_is_looked_up_hit_by_hit(service: MusicBrainzSite, tmp_path: Path) -> None:
    crawl(service, tmp_path, "-a", "query=rooms").check()
    sets = json.loads((tmp_path / "sets.json").read_text())
    assert {s["title"] for s in sets} == {"Two Rooms: Room One", "Two Rooms: CD 2"}
    search = next(r.path for r in service.requests() if "query=" in r.path)
    assert "secondarytype%3A%22dj-mix%22" in search


def test_without_the_permission_robots_txt_keeps_it_off(
    service: MusicBrainzSite, tmp_path: Path
) -> None:
    result = crawl(service, tmp_path, "-a", f"release={DSOTM}", permission=False)
    assert [r.path for r in service.requests()] == ["/robots.txt"]
    assert "'politeness/refused/robots': 1" in result.stderr
    assert json.loads((tmp_path / "sets.json").read_text() or "[]") == []


def test_nothing_to_crawl_says_what_to_give(service: MusicBrainzSite, tmp_path: Path) -> None:
    result = crawl(service, tmp_path, "-a", "release=not-an-mbid")
    assert "Not a MusicBrainz identifier (MBID): 'not-an-mbid'" in result.stderr
    assert service.requests() == []


def test_a_series_gives_its_dj_mix_releases_only(service: MusicBrainzSite, tmp_path: Path) -> None:
    result = crawl(service, tmp_path, "-a", f"series={SERIES}").check()
    sets = json.loads((tmp_path / "sets.json").read_text())
    assert {s["title"] for s in sets} == {"Two Rooms: Room One", "Two Rooms: CD 2"}
    looked_up = [r.path.split("?")[0] for r in service.requests() if "/ws/2/release/" in r.path]
    # each member looked up once (the first answer for Two Rooms is a 503: asked again)
    assert sorted(looked_up) == sorted(
        [f"/ws/2/release/{DSOTM}", *[f"/ws/2/release/{TWO_MIXES}"] * 2]
    )
    assert "'musicbrainz/not_dj_mix': 1" in result.stderr  # the album is left out


def test_a_series_of_release_groups_browses_each_group_s_dj_mixes(
    service: MusicBrainzSite, tmp_path: Path
) -> None:
    crawl(service, tmp_path, "-a", f"series={GROUP_SERIES}").check()
    sets = json.loads((tmp_path / "sets.json").read_text())
    assert sorted(s["url"].rsplit("/", 1)[1] for s in sets) == [f"{TWO_MIXES}#disc1",
                                                                 f"{TWO_MIXES}#disc2"]  # fmt: skip
    room = next(s for s in sets if s["url"].endswith("#disc1"))
    assert len(room["tracks"]) == 3 and room["tracks"][0]["recording_mbid"]
    paths = [r.path for r in service.requests()]
    assert paths[1].startswith(f"/ws/2/series/{GROUP_SERIES}?inc=release-rels")
    browses = [p for p in paths if p.startswith("/ws/2/release?")]
    # one browse per release group of the series, DJ-mixes only: the album's gives none
    assert sorted(parse_qs(urlsplit(p).query)["release-group"][0] for p in browses) == [
        "00000000-0000-4000-8000-0000000000b1", "f5093c06-23e3-404f-aeaa-40f72885ee3a",
    ]  # fmt: skip
    assert all(parse_qs(urlsplit(p).query)["type"] == ["dj-mix"] for p in browses)
    assert min(gaps(service)) >= 1.0 - 0.01
