"""`scrapy crawl setlistfm` against a loopback API serving saved setlist.fm answers."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CrawlResult, run_scrapy
from tests.setlistfm.server import KEY, PEARL_JAM, PHISH, SetlistFmSite

HOST = "127.25.1.1"


@pytest.fixture
def api() -> Iterator[SetlistFmSite]:
    with SetlistFmSite(HOST, per_page=5, busy=(f"/rest/1.0/artist/{PHISH}/setlists",)) as site:
        yield site


def terms(tmp: Path, extra: str = "", gap: float = 0.5) -> Path:
    """The loopback host's terms, as the shipped ones are for setlist.fm (2 requests/s)."""
    path = tmp / "terms.toml"
    path.write_text(f'[[site]]\ndomain = "{HOST}"\nmin_delay = {gap}\n{extra}', encoding="utf-8")
    return path


def crawl(
    site: SetlistFmSite, tmp: Path, *args: str, key: str = KEY, extra: str = "", gap: float = 0.5
) -> CrawlResult:
    return run_scrapy(
        "crawl", "setlistfm", *args,
        "-s", f"SETLISTFM_API_URL={site.url('/rest/1.0')}", "-s", f"SETLISTFM_API_KEY={key}",
        "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", f"SITE_POLICY_FILE={terms(tmp, extra, gap)}",
        "-s", f"DATABASE_URL=sqlite:///{tmp}/sfm.db", "-O", str(tmp / "sets.json"),
    )  # fmt: skip


def sets(tmp: Path) -> list[dict]:  # type: ignore[type-arg]
    return json.loads((tmp / "sets.json").read_text() or "[]")


def test_an_artist_s_setlists_page_by_page_at_the_declared_pace(
    api: SetlistFmSite, tmp_path: Path
) -> None:
    result = run = crawl(api, tmp_path, "-a", f"artist={PHISH}", "-s", "LOG_LEVEL=DEBUG")
    run.check()
    found = sets(tmp_path)
    assert len(found) == 20
    hollywood = next(s for s in found if s["url"].endswith("-235d0827.html"))
    assert hollywood["djs"] == ["Phish"] and hollywood["date"] == "2025-04-27"
    assert hollywood["event"] == "Spring Tour 2025"
    assert hollywood["venue"] == "Hollywood Bowl, Los Angeles, United States"
    tracks = hollywood["tracks"]
    assert len(tracks) == 17  # two sets and an encore, in order
    assert [t["title"] for t in tracks[:2]] == ["The Landlady", "Cavern"]
    assert tracks[-1]["title"] == "Fuego"
    assert tracks[5]["title"] == "Hey Stranger" and tracks[5]["artist"] == "Trey Anastasio"

    logged = api.requests()
    pages = [r.path for r in logged if "/setlists" in r.path]
    # a 429 first; then p=1 says total 20 at 5 a page: p=2..4
    assert sorted(pages) == sorted([f"/rest/1.0/artist/{PHISH}/setlists?p={n}"
                                    for n in (1, 1, 2, 3, 4)])  # fmt: skip
    api_requests = [r for r in logged if r.path.startswith("/rest/")]
    assert all(r.headers.get("accept") == "application/json" for r in api_requests)
    assert all(r.headers.get("x-api-key") == KEY for r in api_requests)
    assert min(b.time - a.time for a, b in itertools.pairwise(logged)) >= 0.5 - 0.01
    # the key: in its header only
    assert all(KEY not in r.path for r in logged)
    assert KEY not in result.stderr and KEY not in result.stdout
    assert KEY.encode() not in (tmp_path / "sfm.db").read_bytes()
    assert KEY not in (tmp_path / "sets.json").read_text()


def test_tape_guests_covers_and_an_unknown_song(api: SetlistFmSite, tmp_path: Path) -> None:
    crawl(api, tmp_path, "-a", f"artist={PEARL_JAM}").check()
    found = {s["url"].rsplit("-", 1)[1]: s for s in sets(tmp_path)}
    assert len(found) == 6
    fenway = found["43e86b6f.html"]
    tracks = fenway["tracks"]
    assert len(tracks) == 31 and tracks[0]["title"] == "Aye Davanita"
    assert tracks[0]["raw"].endswith("(tape)")
    taillights = next(t for t in tracks if t["title"] == "Taillights Fade")
    assert taillights["artist"] == "Buffalo Tom" and taillights["featured"] == ["Bill Janovitz"]
    edge = found["0bd0a1e2.html"]["tracks"]  # hand-written edge case
    assert [t["title"] for t in edge] == ["Release", "Corduroy", None, "Alive",
                                          "Rockin' in the Free World"]  # fmt: skip
    assert edge[2]["unknown"] and edge[2]["position"] == 3
    assert edge[4]["artist"] == "Neil Young"


def test_without_a_key_it_refuses_to_start_in_one_line(api: SetlistFmSite, tmp_path: Path) -> None:
    result = crawl(api, tmp_path, "-a", f"artist={PHISH}", key="")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if "SETLISTFM_API_KEY" in line]
    assert len(lines) == 1 and lines[0].endswith(
        ": error: SETLISTFM_API_KEY is not set: setlist.fm answers only requests with an "
        "API key (apply at https://www.setlist.fm/settings/api)"
    )
    assert api.requests() == []
