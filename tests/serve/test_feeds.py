"""Atom feeds on a real server, read by feedparser: valid Atom 1.0, not empty, each entry a
set of the store, and linked from the pages they follow."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import httpx


def parsed(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params or None)  # {} would drop the path's query
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert response.headers["etag"]
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def alternate(client: httpx.Client, page: str) -> str:
    html = client.get(page).text
    found = re.search(
        r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', html
    )
    assert found, f"{page} links no feed"
    return found.group(1).replace("&amp;", "&")


def test_dj_feed_holds_the_djs_sets(client: httpx.Client) -> None:
    dj = client.get("/api/v1/search", params={"q": "bicep"}).json()["djs"][0]
    sets = client.get(f"/api/v1/djs/{dj['id']}").json()["sets"]
    feed = parsed(client, alternate(client, f"/djs/{dj['id']}"))
    assert feed.feed.title == "Sets by Bicep"
    assert [e.title for e in feed.entries] == [s["title"] for s in sets]
    entry = feed.entries[0]
    assert entry.link.endswith(f"/sets/{sets[0]['id']}") and entry.id == entry.link
    assert entry.updated_parsed and "Bicep" in entry.summary
    assert entry.author == "Bicep"


def test_track_feed_holds_the_sets_that_played_it(client: httpx.Client) -> None:
    track = client.get("/api/v1/tracks", params={"q": "kolsch grey"}).json()["items"][0]
    played = {r["id"] for r in client.get(f"/api/v1/tracks/{track['id']}").json()["played_in"]}
    feed = parsed(client, alternate(client, f"/tracks/{track['id']}"))
    assert feed.entries
    assert {int(e.link.rsplit("/", 1)[1]) for e in feed.entries} == played


def test_search_feed_and_its_link(client: httpx.Client) -> None:
    feed = parsed(client, alternate(client, "/search?q=club life"))
    assert "Club Life 651" in [e.title for e in feed.entries]
    assert parsed(client, "/feeds/search.atom", q="zzzznothing").entries == []


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    assert client.get("/feeds/djs/999999.atom").status_code == 404
    assert client.get("/feeds/tracks/99999999999999999999.atom").status_code == 422
