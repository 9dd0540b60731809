"""`scrapy crawl kexp` against a loopback API serving KEXP's own saved plays and shows."""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from crawler.sites import kexp
from tests.conftest import CrawlResult, run_scrapy
from tests.kexp.server import SHOW, KexpSite, load

HOST = "127.25.0.1"


@pytest.fixture
def api() -> Iterator[KexpSite]:
    with KexpSite(HOST, busy=("/v2/plays/",)) as site:
        yield site


def crawl(site: KexpSite, tmp: Path, *args: str) -> CrawlResult:
    terms = tmp / "terms.toml"
    terms.write_text(f'[[site]]\ndomain = "{HOST}"\nmin_delay = 0.5\n', encoding="utf-8")
    return run_scrapy(
        "crawl", "kexp", *args,
        "-s", f"KEXP_API_URL={site.url('/v2')}", "-s", "ALLOW_PRIVATE_HOSTS=True",
        "-s", f"SITE_POLICY_FILE={terms}", "-s", f"DATABASE_URL=sqlite:///{tmp}/kexp.db",
        "-O", str(tmp / "sets.json"),
    )  # fmt: skip


def gaps(site: KexpSite) -> list[float]:
    return [b.time - a.time for a, b in itertools.pairwise(site.requests())]


def test_a_show_becomes_one_set_in_air_order_with_cues_and_mbids(
    api: KexpSite, tmp_path: Path
) -> None:
    crawl(api, tmp_path, "-a", f"show={SHOW}").check()
    (djset,) = json.loads((tmp_path / "sets.json").read_text())
    assert djset["source"] == "kexp"
    assert djset["url"] == "https://api.kexp.org/v2/shows/46732/"  # the API's uri, not ours
    assert (djset["title"], djset["djs"]) == ("Wo' Pop", ["Gabriel Teodros"])
    assert djset["date"] == "2020-03-03"  # local start date (18:00 -08:00; 02:00 UTC next day)
    tracks = djset["tracks"]
    assert len(tracks) == 15  # 20 plays, 5 of them air breaks
    assert [t["position"] for t in tracks] == list(range(1, 16))
    # newest first in the API: the first aired track is the last play of the page
    assert tracks[0]["artist"] == "Elias Negash" and tracks[0]["cue_s"] == 5911
    assert tracks[-1]["artist"] == "Omar Sosa & Yilian Cañizares"
    assert tracks[-1]["cue_s"] == 2 * 3600 + 43 * 60 + 41
    cues = [t["cue_s"] for t in tracks]
    assert cues == sorted(cues)
    mbids = [t["recording_mbid"] for t in tracks]
    # three real recording MBIDs; the sample's placeholder "666" is dropped
    assert [m for m in mbids if m] == [
        "9930f400-5bab-4555-9b68-d54cd1a83864",
        "f004eb71-19e7-4ec5-bd53-0c9e02b8a24d",
        "0a00e187-94cd-4974-ade7-b1dd915d11e0",
    ]
    assert mbids[0] is None
    groups = _release_groups_of(load("kexppower_plays_v2")["results"])
    assert [t["release_group_mbid"] for t in tracks] == [groups[t["raw"]] for t in tracks]
    assert len([g for g in groups.values() if g]) == 6  # and one placeholder, dropped
    with closing(sqlite3.connect(tmp_path / "kexp.db")) as db:
        stored = db.execute(
            "SELECT release_group_mbid FROM set_entries ORDER BY ordinal"
        ).fetchall()
    assert [g for (g,) in stored] == [t["release_group_mbid"] for t in tracks]

    paths = [r.path for r in api.requests()]
    assert paths[0] == "/robots.txt"
    plays = [p for p in paths if p.startswith("/v2/plays/")]
    # a 429 first, then three pages of 8, 8 and 4 plays through rebased `next` links
    assert len(plays) == 4 and "offset=16" in plays[-1]
    api_requests = [r for r in api.requests() if r.path.startswith("/v2/")]
    assert all(r.headers.get("accept") == "application/json" for r in api_requests)
    assert min(gaps(api)) >= 0.5 - 0.01  # the server's own log: never faster than declared


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _release_groups_of(plays: list[dict[str, object]]) -> dict[str, str | None]:
    """Each track play's release group as the saved answer gives it, by "artist - song";
    None where it gives none or a placeholder that is not a UUID."""
    groups: dict[str, str | None] = {}
    for play in plays:
        if play["play_type"] == "trackplay":
            group = play.get("release_group_id")
            uuid = isinstance(group, str) and _UUID.fullmatch(group)
            groups[f"{play['artist']} - {play['song']}"] = group if uuid else None
    return groups


def test_shows_between_two_dates(api: KexpSite, tmp_path: Path) -> None:
    result = crawl(api, tmp_path, "-a", "since=2020-03-03", "-a", "until=2020-03-03").check()
    sets = json.loads((tmp_path / "sets.json").read_text())
    assert [s["title"] for s in sets] == ["Wo' Pop"]  # the day's other shows list no plays
    assert "'kexp/shows_without_plays': 4" in result.stderr


def test_bad_arguments_are_refused_in_one_line(api: KexpSite, tmp_path: Path) -> None:
    result = crawl(api, tmp_path, "-a", "since=March")
    assert result.returncode == 2 and "-a since=March: give a date as YYYY-MM-DD" in result.stderr
    result = crawl(api, tmp_path, "-a", "until=2023-02-29")  # no such day: nothing asked
    assert result.returncode == 2 and "-a until=2023-02-29: give a date" in result.stderr
    assert api.requests() == []


def test_rebase_moves_next_links_onto_the_configured_root() -> None:
    link = "https://api.kexp.org/v2/plays/?limit=20&offset=20"
    assert kexp.rebase(link, "http://127.0.0.1:8080/mirror/v2") == (
        "http://127.0.0.1:8080/mirror/v2/plays/?limit=20&offset=20"
    )
    assert kexp.rebase(link, kexp.SITE_API) == link


def test_the_utc_date_would_be_a_day_later() -> None:
    show = load("kexppower_shows_v2")["results"][0]
    assert show["start_time"] == "2020-03-03T18:00:39-08:00"
    assert kexp.show_date(show) == "2020-03-03"
