"""Comparing two tracklists: the alignment on hand-written edge cases, and the page and
the API over the imported store."""

from __future__ import annotations

from typing import Any

import httpx

from crawler.serve.compare import align, completeness


def entry(title: str | None, cue: int | None = None, **more: Any) -> dict[str, Any]:
    """A hand-written entry: a track by "A" titled ``title`` (None: an ID)."""
    return {"artist": "A" if title else None, "title": title, "unknown": title is None,
            "cue_s": cue, "track_id": None, **more}  # fmt: skip


def statuses(rows: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    name = lambda e: e and e["name"].removeprefix("A - ")  # noqa: E731
    return [(r["status"], name(r["a"]), name(r["b"])) for r in rows]


def test_same_moved_and_only_in_one() -> None:
    a = [entry("One"), entry("Two"), entry("Three"), entry("Four"), entry("Five")]
    b = [entry("one"), entry("Three"), entry("Four"), entry("Two"), entry("Six")]
    assert statuses(align(a, b)) == [
        ("same", "One", "one"),  # titles fold alike
        ("moved", "Two", "Two"),
        ("same", "Three", "Three"),
        ("same", "Four", "Four"),
        ("only_a", "Five", None),
        ("only_b", None, "Six"),
    ]


def test_ids_never_match_and_stored_tracks_match_by_id() -> None:
    a = [entry(None), entry("X", track_id=7)]
    b = [entry(None), entry("Other spelling", track_id=7)]
    assert [r["status"] for r in align(a, b)] == ["only_a", "only_b", "same"]


def test_completeness_counts_ids_and_missing_cues() -> None:
    assert completeness([entry("One", 0), entry("Two", 300)])["complete"] is True
    assert completeness([entry("One"), entry("Two")])["complete"] is True  # no cues at all
    found = completeness([entry("One", 0), entry(None, 200), entry("Two"),
                          entry("Three", with_previous=True)])  # fmt: skip
    assert found == {"complete": False, "tracks": 4, "ids": 1, "cue_gaps": 1}
    assert completeness([])["complete"] is False


def test_compare_api_and_page(client: httpx.Client) -> None:
    sets = {s["title"]: s["id"] for s in client.get("/api/v1/sets?per_page=100").json()["items"]}
    one, other = sets["Club Life 651"], sets["Example DJ - Example Radio 001 2024-03-09"]
    same = client.get(f"/api/v1/sets/{one}/compare/{one}").json()
    assert {r["status"] for r in same["rows"]} == {"same"}
    assert same["a"]["completeness"]["complete"] is True
    found = client.get(f"/api/v1/sets/{one}/compare/{other}").json()
    assert found["counts"]["same"] == 0 and found["counts"]["only_a"] == 3
    assert found["b"]["completeness"] == {"complete": False, "tracks": 5, "ids": 1, "cue_gaps": 0}
    page = client.get(f"/sets/{one}/compare/{other}")
    assert page.status_code == 200 and "Incomplete tracklist" in page.text
    assert client.get(f"/api/v1/sets/{one}/compare/999999").status_code == 404
