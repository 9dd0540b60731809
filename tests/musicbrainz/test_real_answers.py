"""The MusicBrainz spider on real /ws/2 answers saved by a client library (musicbrainz_rs):
release lookups with media through the tracklist path, and the DJ-mix filter on a real
browse page and a real search page. The hand-written DJ-mix release of the other tests is
only an edge case (several mixes on one release, partial dates, join phrases)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.devserver import LoggedRequest, Reply
from tests.conftest import CrawlResult, run_scrapy
from tests.musicbrainz.server import ARTIST, MusicBrainzSite, load

HOST = "127.25.3.1"
METEORA = "c9d52105-5c20-3216-bc1b-e54918f8f688"
RITA_REYS = "942b9e7b-3a43-4f22-b200-ab69ee302d16"
COMPILATION = "b1dc9838-adf3-43f2-93f9-802b46e5fe59"


class RealAnswers(MusicBrainzSite):
    """Serves the saved lookups by MBID, the saved search page for any query and the saved
    browse page for any browse (as a server that ignored ``type=dj-mix`` would)."""

    def __init__(self, host: str) -> None:
        super().__init__(host, browse_releases=0)
        for mbid in (METEORA, RITA_REYS, COMPILATION):
            self.releases[mbid] = load(f"musicbrainz_rs_release_{mbid}")

    def _browse_or_search(self, request: LoggedRequest) -> Reply:
        query = parse_qs(urlsplit(request.path).query)
        offset = int(query.get("offset", ["0"])[0])
        name = "search_release_drivers_license" if "query" in query else "browse_release_by_label"
        page = load(f"musicbrainz_rs_{name}")
        if offset:  # past the saved first page: the service's counts, no more items
            page = {**page, "releases": [], "offset": offset, "release-offset": offset}
        return Reply(200, json.dumps(page).encode(), content_type="application/json")


@pytest.fixture
def service() -> Iterator[RealAnswers]:
    with RealAnswers(HOST) as site:
        yield site


def crawl(site: RealAnswers, tmp: Path, *args: str) -> CrawlResult:
    terms = tmp / "terms.toml"
    terms.write_text(f'[[site]]\ndomain = "{HOST}"\nmin_delay = 0.2\napi_paths = ["/ws/2/"]\n'
                     'api_terms_url = "https://musicbrainz.org/doc/MusicBrainz_API"\n')  # fmt: skip
    return run_scrapy(
        "crawl", "musicbrainz", *args,
        "-s", f"MUSICBRAINZ_API_URL={site.url('/ws/2')}", "-s", "ALLOW_PRIVATE_HOSTS=True",
        "-s", f"SITE_POLICY_FILE={terms}", "-s", f"DATABASE_URL=sqlite:///{tmp}/mb.db",
        "-O", str(tmp / "sets.json"),
    )  # fmt: skip


def test_real_release_lookups_with_media_become_sets(service: RealAnswers, tmp_path: Path) -> None:
    crawl(service, tmp_path, "-a", f"release={METEORA},{RITA_REYS},{COMPILATION}").check()
    sets = {s["url"].rsplit("/", 1)[1]: s for s in json.loads((tmp_path / "sets.json").read_text())}
    meteora = sets[METEORA]
    assert (meteora["title"], meteora["djs"], meteora["date"]) == ("Meteora", ["Linkin Park"],
                                                                  "2003-03-24")  # fmt: skip
    assert meteora["label"] == "Warner Bros. Records"
    tracks = meteora["tracks"]
    assert len(tracks) == 13 and [t["position"] for t in tracks] == list(range(1, 14))
    assert tracks[0]["title"] == "Foreword"
    assert tracks[0]["recording_mbid"] == "23d3910f-ea10-44e2-af74-57e69ab7d146"
    assert tracks[0]["isrcs"] == ["USWB10300463", "USWB11201123", "USWB11201327"]
    assert all(t["recording_mbid"] for t in tracks)
    rita = sets[RITA_REYS]
    assert len(rita["tracks"]) == 12 and rita["tracks"][0]["title"] == "It's All Right With Me"
    various = sets[COMPILATION]  # "Various Artists" is no DJ: none named
    assert various["djs"] == [] and len(various["tracks"]) == 10
    assert various["label"] == "Essex Entertainment, Inc."


def test_the_dj_mix_filter_on_a_real_search_page(service: RealAnswers, tmp_path: Path) -> None:
    result = crawl(service, tmp_path, "-a", "query=drivers license")
    assert json.loads((tmp_path / "sets.json").read_text() or "[]") == []
    # 25 hits, each a Single or an Album by its release group: none looked up
    assert "'musicbrainz/not_dj_mix': 25" in result.stderr
    paths = [r.path for r in service.requests()]
    assert not [p for p in paths if p.startswith("/ws/2/release/")]
    searches = [p for p in paths if "query=" in p]
    assert len(searches) == 2 and "offset=25" in searches[1]  # count 32: a second page


def test_the_dj_mix_filter_on_a_real_browse_page(service: RealAnswers, tmp_path: Path) -> None:
    result = crawl(service, tmp_path, "-a", f"artist={ARTIST}")
    assert json.loads((tmp_path / "sets.json").read_text() or "[]") == []
    assert "'musicbrainz/not_dj_mix': 25" in result.stderr  # no release group says DJ-mix
    browses = [r.path for r in service.requests() if r.path.startswith("/ws/2/release?")]
    assert len(browses) == 2 and "offset=25" in browses[1]  # release-count 115
