"""The JSON API over stores filled by the importer, on SQLite and PostgreSQL, through a real
HTTP server: search, sets, DJs, tracks with transitions counted right, errors, pages."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from crawler.serve import create_app
from crawler.serve.store import StoreMissing, open_store
from tests.serve.conftest import Served

SETS = 20  # every set the fixtures hold (17 real, 3 hand-written)


def get(client: httpx.Client, path: str, status: int = 200, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def track_id(client: httpx.Client, q: str, name: str) -> int:
    found = get(client, "/api/v1/tracks", q=q)["items"]
    return next(t["id"] for t in found if t["name"] == name)


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {row["track"]["name"]: row["count"] for row in rows}


def test_health(client: httpx.Client) -> None:
    assert get(client, "/healthz") == {"status": "ok"}
    assert client.head("/healthz").status_code == 200  # uptime checkers' HEAD was a 405


def test_health_answers_503_when_the_store_is_unreachable() -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    with Served(create_app(sessions=sessionmaker(engine))) as url:
        response = httpx.get(url + "/healthz", timeout=30)
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_search_folds_case_and_accents(client: httpx.Client) -> None:
    found = get(client, "/api/v1/search", q="TIESTO")
    assert [s["title"] for s in found["sets"]] == ["Club Life 651"]
    assert [d["name"] for d in found["djs"]] == ["DJ Tiësto"]
    assert "Tiësto - Red Lights (VIP Mix)" in {t["name"] for t in found["tracks"]}
    # "kolsch" finds "Kölsch"; "royksopp" finds "Røyksopp" (ø folded as identity keys do)
    assert {t["name"] for t in get(client, "/api/v1/search", q="kolsch")["tracks"]} == {
        "Kölsch - Grey"
    }
    tracks = get(client, "/api/v1/search", q="royksopp ete")["tracks"]
    assert [t["name"] for t in tracks] == ["Røyksopp - Été Indien"]
    # prefixes, and sets by event or venue
    assert [s["title"] for s in get(client, "/api/v1/search", q="liquid roo")["sets"]] == [
        "2000-09-29 - Jeff Mills @ The Liquid Room, Tokyo"
    ]
    assert get(client, "/api/v1/search", q="nothing-like-this") == {
        "sets": [], "tracks": [], "djs": []
    }  # fmt: skip
    assert get(client, "/api/v1/search", q="?!") == {"sets": [], "tracks": [], "djs": []}


def test_sets_list_filters_and_pages(client: httpx.Client) -> None:
    everything = get(client, "/api/v1/sets", per_page=100)
    assert everything["total"] == SETS and len(everything["items"]) == SETS
    dates = [s["date"] for s in everything["items"] if s["date"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    pages = [get(client, "/api/v1/sets", page=p, per_page=7)["items"] for p in (1, 2, 3)]
    assert [s["id"] for page in pages for s in page] == [s["id"] for s in everything["items"]]
    mixesdb = get(client, "/api/v1/sets", source="mixesdb")
    assert mixesdb["total"] == 2 and {s["source"] for s in mixesdb["items"]} == {"mixesdb"}
    since = get(client, "/api/v1/sets", since="2023", until="2023-12-31")["items"]
    assert {s["date"] for s in since} == {"2023-04-28", "2023-11-04"}
    jeff = get(client, "/api/v1/search", q="jeff mills")["djs"][0]
    by_dj = get(client, "/api/v1/sets", dj=jeff["id"])
    assert [s["title"] for s in by_dj["items"]] == [
        "2000-09-29 - Jeff Mills @ The Liquid Room, Tokyo"
    ]
    assert get(client, "/api/v1/sets", q="sasha")["total"] == 2


@pytest.mark.parametrize(
    "params",
    [{"per_page": 101}, {"per_page": 0}, {"page": 0}, {"since": "yesterday"}, {"dj": "x"},
     {"since": "2020-13"}, {"until": "2020-00"},  # no such months: they were taken
     {"since": "2023-02-29"}, {"until": "2024-04-31"}],  # no such days either
)  # fmt: skip
def test_bad_parameters_are_422(client: httpx.Client, params: dict[str, Any]) -> None:
    assert "detail" in get(client, "/api/v1/sets", 422, **params)


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    for path in ("sets", "djs", "tracks"):
        assert "no " in get(client, f"/api/v1/{path}/987654", 404)["detail"]
    assert get(client, "/api/v1/no-such-thing", 404) == {"detail": "Not Found"}
    assert get(client, "/api/v1/sets/x", 422)["detail"][0]["loc"] == ["path", "set_id"]


def test_set_has_its_tracks_in_order_and_its_source(client: httpx.Client) -> None:
    [found] = get(client, "/api/v1/sets", q="warehouse project")["items"]
    bicep = get(client, f"/api/v1/sets/{found['id']}")
    assert [d["name"] for d in bicep["djs"]] == ["Bicep"]
    assert bicep["sources"] == [{"source": "1001tracklists", "url": bicep["url"]}]
    tracks = bicep["tracks"]
    assert [t["ordinal"] for t in tracks] == list(range(len(tracks)))
    assert tracks[1]["artist"] == "Barker"  # split from the page's line by normalization
    assert set(tracks[0]) == {
        "ordinal", "position", "cue_s", "cue", "artist", "featured", "title", "version",
        "label", "unknown", "with_previous", "raw", "track_id",
    }  # fmt: skip
    cued = get(client, "/api/v1/sets", q="essential mix sasha")["items"][0]
    entries = get(client, f"/api/v1/sets/{cued['id']}")["tracks"]
    with_cue = [t for t in entries if t["cue_s"] is not None]
    assert with_cue and all(t["cue"].count(":") in (1, 2) for t in with_cue)


def test_dj(client: httpx.Client) -> None:
    [jeff] = get(client, "/api/v1/search", q="jeff mills")["djs"]
    dj = get(client, f"/api/v1/djs/{jeff['id']}")
    assert (dj["name"], dj["sets_count"]) == ("Jeff Mills", 1)
    assert dj["first_set"] == dj["last_set"] == "2000-09-29"
    played = counts(dj["most_played"])
    assert played["Jeff Mills - The Bells"] == 1 and len(played) == 4  # and one ID


def test_track_plays_and_transitions(client: httpx.Client) -> None:
    grey = get(client, f"/api/v1/tracks/{track_id(client, 'kolsch grey', 'Kölsch - Grey')}")
    assert grey["artist"]["name"] == "Kölsch" and grey["plays"] == 6
    assert len(grey["played_in"]) == 6
    # repeats: Grey, Nova, Grey, Nova / unknown: Nova, Grey, ID, Grey /
    # with_previous: Grey, Walking Away w/ Nova, Grey
    assert counts(grey["transitions"]["after"]) == {
        "Tale Of Us - Nova": 3, "Mind Against - Walking Away": 1
    }  # fmt: skip
    assert counts(grey["transitions"]["before"]) == {
        "Tale Of Us - Nova": 3, "Mind Against - Walking Away": 1
    }  # fmt: skip
    assert [r["count"] for r in grey["transitions"]["after"]] == [3, 1]  # by count
    nova = get(client, f"/api/v1/tracks/{track_id(client, 'nova', 'Tale Of Us - Nova')}")
    assert nova["plays"] == 4
    assert counts(nova["transitions"]["after"]) == {"Kölsch - Grey": 3}
    assert counts(nova["transitions"]["before"]) == {"Kölsch - Grey": 3}


def test_transitions_of_a_real_set_with_a_w_row_and_an_id(client: httpx.Client) -> None:
    """1001tracklists: Overdrive, Hypnotized w/ Overdrive, Around The World In Silence,
    ID - ID, Things Our Parents Loved."""
    mashup = "Daft Punk vs. Depeche Mode - Around The World In Silence (Example DJ Mashup)"
    around = get(client, f"/api/v1/tracks/{track_id(client, 'around the world', mashup)}")
    assert counts(around["transitions"]["before"]) == {
        "Charlotte de Witte - Overdrive": 1, "Amelie Lens - Hypnotized (Acapella)": 1
    }  # fmt: skip
    assert around["transitions"]["after"] == []  # an ID follows
    loved = "Reinier Zonneveld - Things Our Parents Loved"
    after_id = get(client, f"/api/v1/tracks/{track_id(client, 'parents loved', loved)}")
    assert after_id["transitions"] == {"before": [], "after": []}


def reference_transitions(sets: list[dict[str, Any]]) -> dict[int, dict[str, Counter[int]]]:
    """The rule written the long way: slots (a w/ row joins the one before), then every
    pair of tracks in consecutive slots."""
    found: dict[int, dict[str, Counter[int]]] = {}
    for set_ in sets:
        slots: list[list[int | None]] = []
        for entry in set_["tracks"]:
            if entry["with_previous"] and slots:
                slots[-1].append(entry["track_id"])
            else:
                slots.append([entry["track_id"]])
        for here, there in pairwise(slots):
            for a in here:
                for b in there:
                    if a is None or b is None:
                        continue
                    found.setdefault(a, {"before": Counter(), "after": Counter()})
                    found.setdefault(b, {"before": Counter(), "after": Counter()})
                    found[a]["after"][b] += 1
                    found[b]["before"][a] += 1
    return found


def test_transitions_of_every_track_match_the_rule(client: httpx.Client) -> None:
    ids = [s["id"] for s in get(client, "/api/v1/sets", per_page=100)["items"]]
    expected = reference_transitions([get(client, f"/api/v1/sets/{i}") for i in ids])
    tracks = get(client, "/api/v1/tracks", per_page=100)
    assert tracks["total"] < 100
    for track in tracks["items"]:
        got = get(client, f"/api/v1/tracks/{track['id']}")["transitions"]
        want = expected.get(track["id"], {"before": Counter(), "after": Counter()})
        for side in ("before", "after"):
            assert {r["track"]["id"]: r["count"] for r in got[side]} == dict(want[side])


def test_stats_and_runs(client: httpx.Client) -> None:
    stats = get(client, "/api/v1/stats")
    assert stats["counts"]["sets"] == SETS and stats["counts"]["runs"] >= 1
    assert sum(m["plays"] for m in stats["plays_by_month"]) > 0
    assert stats["plays_by_month"][0]["month"] == "2000-09"
    runs = get(client, "/api/v1/runs")
    assert runs["items"][0]["spider"] == "exports" and "gap_min" in runs["items"][0]["politeness"]


def test_openapi_document(client: httpx.Client) -> None:
    paths = set(get(client, "/api/v1/openapi.json")["paths"])
    assert paths == {
        "/api/v1/search", "/api/v1/sets", "/api/v1/sets/{set_id}", "/api/v1/djs/{dj_id}",
        "/api/v1/tracks", "/api/v1/tracks/{track_id}", "/api/v1/stats", "/api/v1/runs",
        "/healthz", "/api/v1/sets/{a}/compare/{b}",
    }  # fmt: skip


def test_pages_answer_html(client: httpx.Client) -> None:
    ids = {k: get(client, "/api/v1/search", q="jeff mills")[k][0]["id"] for k in ("sets", "djs")}
    pages = ["/", "/search?q=kolsch", f"/sets/{ids['sets']}", f"/djs/{ids['djs']}", "/runs"]
    pages += [f"/tracks/{track_id(client, 'kolsch grey', 'Kölsch - Grey')}", "/api/v1/docs"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert '<html lang="en">' in response.text and "<h1>" in response.text
    missing = client.get("/sets/987654")
    assert missing.status_code == 404 and "no set with id 987654" in missing.text


def test_the_server_cannot_write(store_url: str) -> None:
    sessions = open_store(store_url)
    with sessions() as db, pytest.raises(DBAPIError):
        db.execute(text("DELETE FROM sets"))


def test_a_missing_sqlite_store_is_refused(tmp_path: Any) -> None:
    with pytest.raises(StoreMissing):
        open_store(f"sqlite:///{tmp_path}/none.db")
    assert not (tmp_path / "none.db").exists()


def test_pages_behind_a_path_prefix_link_under_it(sqlite_store: str) -> None:
    """A reverse proxy serving /archive/ and passing requests on without the prefix."""
    with Served(create_app(sqlite_store), root_path="/archive") as url:
        home = httpx.get(url + "/", timeout=30).text
    links = re.findall(r'(?:href|action)="(/[^"]*)"', home)
    assert links and all(link.startswith("/archive/") for link in links), links
