"""HTTP caching on a real server: validators on every answer, 304 on a matching
``If-None-Match`` or ``If-Modified-Since``, and new validators once the store changes."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from crawler.serve import caching, create_app
from tests.serve.conftest import Served

PATHS = ["/api/v1/sets", "/api/v1/search?q=bicep", "/api/v1/stats", "/", "/runs", "/search?q=a"]


@pytest.mark.parametrize("path", PATHS)
def test_a_repeated_request_with_its_etag_is_answered_304(client: httpx.Client, path: str) -> None:
    for _ in range(5):  # PostgreSQL's version moves with any write on the shared server
        first = client.get(path)
        assert first.status_code == 200
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert "max-age" in first.headers["cache-control"]
        again = client.get(path, headers={"If-None-Match": etag})
        if again.status_code == 304 or again.headers["etag"] == etag:
            break
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    # A kept answer is the same answer
    assert client.get(path).content == first.content


def test_each_url_has_its_own_etag(client: httpx.Client) -> None:
    one = client.get("/api/v1/sets", params={"page": 1}).headers["etag"]
    two = client.get("/api/v1/sets", params={"page": 2}).headers["etag"]
    assert one != two


def test_an_answer_kept_for_one_host_is_not_served_for_another(client: httpx.Client) -> None:
    """Feeds hold absolute URLs made from the request's scheme and Host: one request with
    ``Host: evil.example`` made every later reader's feed name evil.example."""
    path = "/feeds/search.atom?q=bicep"
    forged = client.get(path, headers={"Host": "evil.example", "X-Forwarded-Proto": "https"})
    assert b"evil.example" in forged.content
    plain = client.get(path)
    assert b"evil.example" not in plain.content
    assert plain.headers["etag"] != forged.headers["etag"]


def test_preconditions_hold_only_for_what_would_be_a_success(client: httpx.Client) -> None:
    """RFC 9110 13.2.1: a URL that answers 404 ignores If-None-Match (``*`` made it a 304,
    as if the set existed); one that answers 200 is a 304, kept or computed to know."""
    star = {"If-None-Match": "*"}
    assert client.get("/api/v1/sets/987654", headers=star).status_code == 404
    assert client.get("/api/v1/sets/987654", headers=star).status_code == 404  # kept, too
    fresh = "/api/v1/sets?per_page=7&page=3"  # asked for the first time: computed to know
    answer = client.get(fresh, headers=star)
    assert answer.status_code == 304 and answer.content == b"" and answer.headers["etag"]
    assert client.get(fresh, headers=star).status_code == 304


def test_health_and_jobs_are_not_cached(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers


def test_a_change_to_the_store_changes_the_etag(
    sqlite_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caching, "VERSION_TTL", 0.0)
    path = tmp_path / "copy.db"
    shutil.copy(sqlite_store.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    with Served(create_app(url)) as base, httpx.Client(base_url=base, timeout=30) as client:
        first = client.get("/api/v1/sets")
        time.sleep(0.01)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE sets SET title = 'Renamed' WHERE id = 1"))
        engine.dispose()
        second = client.get("/api/v1/sets", headers={"If-None-Match": first.headers["etag"]})
        assert second.status_code == 200
        assert second.headers["etag"] != first.headers["etag"]
        assert "Renamed" in second.text


def test_workers_share_the_answers_they_computed(sqlite_store: str, tmp_path: Path) -> None:
    shared = tmp_path / "answers"
    one, two = (
        create_app(sqlite_store, answers_dir=shared),
        create_app(sqlite_store, answers_dir=shared),
    )
    host = {"Host": "archive.example"}  # one server's workers share its port
    with Served(one) as first, Served(two) as second:
        computed = httpx.get(first + "/api/v1/sets?per_page=3", headers=host, timeout=30)
        deadline = time.monotonic() + 10  # written in a thread, after the answer
        while not list(shared.glob("*/*")):
            assert time.monotonic() < deadline, "the answer was not shared"
            time.sleep(0.01)
        assert len(list(shared.glob("*/*"))) == 1
        kept = httpx.get(second + "/api/v1/sets?per_page=3", headers=host, timeout=30)
    assert kept.content == computed.content and kept.headers["etag"] == computed.headers["etag"]
    answers = caching.SharedAnswers(shared)
    answers.put("newer", '"tag"', (200, [(b"content-type", b"text/plain")], b"body"))
    assert answers.get("newer", '"tag"') == (200, [(b"content-type", b"text/plain")], b"body")
    assert [p.name for p in shared.iterdir()] == ["newer"]  # the older version's are gone


@pytest.mark.postgres
def test_a_change_to_a_postgres_store_changes_the_etag(
    postgres_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caching, "VERSION_TTL", 0.0)
    engine = create_engine(postgres_store)
    with Served(create_app(postgres_store)) as base, httpx.Client(base_url=base) as client:
        before = client.get("/api/v1/stats").headers["etag"]
        try:
            with engine.begin() as conn:  # a write the sets' updated_at does not show
                conn.execute(text("UPDATE artists SET name = name || ' ' WHERE id = 1"))
            assert client.get("/api/v1/stats").headers["etag"] != before
        finally:
            with engine.begin() as conn:
                conn.execute(text("UPDATE artists SET name = rtrim(name) WHERE id = 1"))
            engine.dispose()
