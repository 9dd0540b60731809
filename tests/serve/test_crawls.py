"""Crawls started over HTTP, on a real server: keys made by ``crawler serve keys``, a job
that crawls a loopback site to ``ok`` with its sets searchable, 401 without a live key (and
nothing started), refused settings, cancellation, and the rate limit's 429."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crawler.devserver import LoopbackSite
from crawler.serve import jobs
from crawler.serve.crawl_settings import baseline, check_settings, known_settings
from crawler.serve.jobs import run_name
from crawler.serve.launch import ServeOptions, build_app
from tests.conftest import ROOT, run_cli
from tests.monitor.site import MixesSite
from tests.serve.conftest import Served, postgres_database, serve_command

DEMO = ROOT / "crawler" / "demo_site"
HOST = "127.29.0.1"
# What a server crawling loopback sites is started with (crawler serve -s ...)
LOOPBACK_CRAWLS = {
    "ALLOW_PRIVATE_HOSTS": "True", "CONTACT": "mailto:archive@example.org",
    "CRAWL_DELAY_DEFAULT": "0.1",
}  # fmt: skip


def store_copy(sqlite_store: str, folder: Path) -> str:
    path = folder / "store.db"
    shutil.copy(sqlite_store.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


def add_key(url: str, name: str) -> str:
    result = run_cli("serve", "--database", url, "keys", "add", name)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("tlc_") and len(key) > 40
    return key


def jobs_in(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return int(db.execute("SELECT count(*) FROM crawl_jobs").fetchone()[0])


def wait_for(client: httpx.Client, job: str, key: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(f"/api/v1/crawls/{job}", headers=auth(key)).json()
        if answer["status"] not in ("queued", "running"):
            return dict(answer)
        time.sleep(0.3)
    raise AssertionError(f"job {job} did not end: {answer}")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def crawling(sqlite_store: str, tmp_path: Path) -> Iterator[tuple[httpx.Client, str]]:
    url = store_copy(sqlite_store, tmp_path)
    options = ServeOptions(database=url, allow_crawls=True, crawl_settings=LOOPBACK_CRAWLS,
                           jobs_dir=str(tmp_path / "jobs"))  # fmt: skip
    with Served(build_app(options)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, url


def test_a_job_crawls_a_loopback_site_to_ok(crawling: tuple[httpx.Client, str]) -> None:
    client, url = crawling
    key = add_key(url, "alice")
    body = {"spider": "sets", "args": {"start_urls": ""}, "settings": {"CRAWL_DELAY_DEFAULT": 0.2}}
    with LoopbackSite(HOST, root=DEMO) as site:
        body["args"] = {"start_urls": site.url("/")}
        # No key, a wrong key: 401, nothing started
        assert client.post("/api/v1/crawls", json=body).status_code == 401
        wrong = client.post("/api/v1/crawls", json=body, headers=auth("tlc_wrong"))
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        assert jobs_in(url) == 0
        started = client.post("/api/v1/crawls", json=body, headers=auth(key))
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["status"] in ("queued", "running") and job["id"]
        # A second job waits for the first (one at a time), and is cancelled while queued
        second = client.post("/api/v1/crawls", json=body, headers=auth(key)).json()
        cancelled = client.delete(f"/api/v1/crawls/{second['id']}", headers=auth(key))
        assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
        done = wait_for(client, job["id"], key)
        assert "/sets/archive.html" in {r.path for r in site.requests()}
    assert done["status"] == "ok", done
    assert done["run"]["counts"]["item_scraped_count"] == 4
    assert done["run"]["politeness"] and done["log"]
    assert client.delete(f"/api/v1/crawls/{job['id']}", headers=auth(key)).status_code == 409
    # an id with more after it is no job's (cut to 32 characters, it found this one)
    longer = client.get(f"/api/v1/crawls/{job['id']}{'x' * 5000}", headers=auth(key))
    assert longer.status_code == 404 and len(longer.text) < 200
    # The run is on the runs page, the sets are searchable
    runs = client.get("/api/v1/runs").json()["items"]
    assert f"job:{job['id']}" in {r["name"] for r in runs}
    found = client.get("/api/v1/search", params={"q": "fabric live"}).json()
    assert "Fabric Live 101" in {s["title"] for s in found["sets"]}
    # Revoked: refused at once by the running server
    assert run_cli("serve", "--database", url, "keys", "revoke", "alice").returncode == 0
    assert client.post("/api/v1/crawls", json=body, headers=auth(key)).status_code == 401
    assert client.get(f"/api/v1/crawls/{job['id']}", headers=auth(key)).status_code == 401
    listed = run_cli("serve", "--database", url, "keys", "list").stdout
    assert "alice" in listed and "revoked" in listed and key not in listed
    # revoked again: said so; its name is not given to a new key (its jobs name it)
    again = run_cli("serve", "--database", url, "keys", "revoke", "alice")
    assert again.returncode == 0 and "was revoked already" in again.stderr
    reused = run_cli("serve", "--database", url, "keys", "add", "alice")
    assert reused.returncode == 1 and "names are not reused" in reused.stderr


def test_settings_that_lift_politeness_are_refused(crawling: tuple[httpx.Client, str]) -> None:
    client, url = crawling
    key = add_key(url, "bob")
    for settings in (
        {"ROBOTSTXT_OBEY": False}, {"CONCURRENT_REQUESTS_PER_DOMAIN": 4},
        {"CRAWL_DELAY_DEFAULT": 0.05}, {"DATABASE_URL": "sqlite:///elsewhere.db"},
        {"NOT_A_SETTING": 1}, {"ROBOTSTXT_OBEY": "perhaps"},
        # each of these once ran: the guard's own networks, a gap of nan (0 s between
        # requests, then a 500 on /api/v1/runs for everyone), files the server may write
        {"ALLOWED_PRIVATE_NETWORKS": "10.0.0.0/8"}, {"CRAWL_DELAY_DEFAULT": "nan"},
        {"DOWNLOAD_DELAY": "inf"}, {"WARC_DIR": "/tmp/anywhere"},
        # who it says it is, what it loads, where it goes: the server's
        {"DEFAULT_REQUEST_HEADERS": "{}"}, {"ROBOTSTXT_USER_AGENT": "Googlebot"},
        {"DOWNLOADER_CLIENTCONTEXTFACTORY": "os.system"}, {"HTTPPROXY_ENABLED": True},
        {"DOWNLOAD_DELAY_JITTER": 0.5}, {"ROBOTSTXT_MAX_BYTES": 10},
    ):  # fmt: skip
        answer = client.post("/api/v1/crawls", headers=auth(key),
                             json={"spider": "sets", "settings": settings})  # fmt: skip
        assert answer.status_code == 422, (settings, answer.text)
    bad_spider = client.post("/api/v1/crawls", headers=auth(key), json={"spider": "nope"})
    assert bad_spider.status_code == 422
    # the server's own files: a file: URL, a list of URLs on its disk, the exports spider
    for body in (
        {"spider": "sets", "args": {"start_urls": "http://127.0.0.1:9/,file:///etc/passwd"}},
        {"spider": "sets", "args": {"urls_file": "/etc/hosts"}},
        {"spider": "exports", "args": {"path": "/root"}},
    ):
        answer = client.post("/api/v1/crawls", headers=auth(key), json=body)
        assert answer.status_code == 422, (body, answer.text)
    said = client.post("/api/v1/crawls", headers=auth(key), json={"spider": "sets", "args": {
        "start_urls": "file:///etc/passwd"}}).json()["detail"]  # fmt: skip
    assert said == "start_urls: 'file:///etc/passwd' is not an http(s) URL"
    assert jobs_in(url) == 0


def test_the_private_address_guard_stays_unless_the_server_lifts_it() -> None:
    known = known_settings()
    plain = baseline({})
    assert check_settings({"ALLOW_PRIVATE_HOSTS": "true"}, plain, known)
    assert check_settings({"CRAWL_DELAY_DEFAULT": 5, "ROBOTSTXT_OBEY": True}, plain, known) == []
    lifted = baseline({"ALLOW_PRIVATE_HOSTS": "True"})
    assert check_settings({"ALLOW_PRIVATE_HOSTS": True}, lifted, known) == []
    # the networks the guard lets through are the server's, lifted or not
    for server in (plain, lifted):
        assert check_settings({"ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8"}, server, known) == [
            "ALLOWED_PRIVATE_NETWORKS: set by the server, not by a job"
        ]


def test_a_job_sets_only_what_shapes_its_crawl() -> None:
    """An allow-list: of Scrapy's ~190 settings a job sets the few that bound a crawl;
    any other (a class to load, a file, a header, a proxy, a mail host) is the server's."""
    from crawler.serve.crawl_settings import JOB_SETTINGS, RULES

    known, plain = known_settings(), baseline({})
    assert set(RULES) <= JOB_SETTINGS <= known
    allowed = {"DEPTH_LIMIT": 2, "CLOSESPIDER_PAGECOUNT": 10, "LOG_LEVEL": "DEBUG",
               "CRAWL_DELAY_DEFAULT": 3, "RENDER_ENABLED": True}  # fmt: skip
    assert check_settings(allowed, plain, known) == []
    servers = sorted(known - JOB_SETTINGS)
    assert len(servers) > 150
    for name in servers:
        assert check_settings({name: "1"}, plain, known) == [
            f"{name}: set by the server, not by a job"
        ]


def test_without_allow_crawls_there_is_no_write_endpoint(base_url: str) -> None:
    answer = httpx.post(base_url + "/api/v1/crawls", json={"spider": "sets"}, timeout=30)
    assert answer.status_code in (404, 405)


def test_rate_limit_answers_429_with_retry_after(sqlite_store: str, tmp_path: Path) -> None:
    url = store_copy(sqlite_store, tmp_path)
    key = add_key(url, "carol")
    options = ServeOptions(database=url, rate_limit="3/minute")
    with Served(build_app(options)) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert [client.get("/api/v1/stats").status_code for _ in range(3)] == [200] * 3
        limited = client.get("/api/v1/stats")
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 20
        page = client.get("/runs")  # a page's 429 is a page, as its other errors are
        assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
        assert "Too many requests" in page.text
        # A key has a bucket of its own; /healthz is never limited
        assert client.get("/api/v1/stats", headers=auth(key)).status_code == 200
        assert client.get("/healthz").status_code == 200


def test_a_running_job_is_cancelled(
    sqlite_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "STOP_GRACE", 3.0)
    url = store_copy(sqlite_store, tmp_path)
    key = add_key(url, "erin")
    started_with = {**LOOPBACK_CRAWLS, "CRAWL_DELAY_DEFAULT": "1.0"}  # 12 pages: 12 s or more
    options = ServeOptions(database=url, allow_crawls=True, crawl_settings=started_with,
                           jobs_dir=str(tmp_path / "jobs"))  # fmt: skip
    with (
        MixesSite("127.29.0.3", pages=12) as site,
        Served(build_app(options)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        body = {"spider": "sets", "args": {"start_urls": site.url("/")}}
        job = client.post("/api/v1/crawls", json=body, headers=auth(key)).json()["id"]
        deadline = time.monotonic() + 60
        while not any(r.path.startswith("/w/") for r in site.requests()):
            assert time.monotonic() < deadline, "the crawl did not start"
            time.sleep(0.2)
        cancelled = client.delete(f"/api/v1/crawls/{job}", headers=auth(key))
        assert cancelled.status_code == 202 and cancelled.json()["cancel_requested"]
        done = wait_for(client, job, key, timeout=60)
        fetched = sum(1 for r in site.requests() if r.path.startswith("/w/"))
    assert fetched < 12
    # Stopped gracefully, the crawl ends partial; one that does not close within the grace
    # is stopped by force, with no summary of its own: failed, and says why.
    reason = done["run"]["finish_reason"]
    assert (done["status"], reason) == ("partial", "shutdown") or (
        done["status"] == "failed" and reason.startswith("cancelled, stopped by force")
    ), done["run"]


@pytest.mark.postgres
def test_a_job_crawls_to_ok_on_postgresql(tmp_path: Path) -> None:
    """The same over ``crawler serve --database <PostgreSQL> --allow-crawls --workers 2``, as
    a user runs it: the job is claimed by one worker, followed through either."""
    with postgres_database() as url:
        key = add_key(url, "frank")
        started_with = [a for k, v in LOOPBACK_CRAWLS.items() for a in ("-s", f"{k}={v}")]
        with (
            LoopbackSite("127.29.0.4", root=DEMO) as site,
            serve_command("--database", url, "--allow-crawls", "--workers", "2",
                          "--jobs-dir", str(tmp_path / "jobs"), *started_with) as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):  # fmt: skip
            body = {"spider": "sets", "args": {"start_urls": site.url("/")}}
            assert client.post("/api/v1/crawls", json=body).status_code == 401
            started = client.post("/api/v1/crawls", json=body, headers=auth(key))
            assert started.status_code == 202, started.text
            done = wait_for(client, started.json()["id"], key)
            assert done["status"] == "ok", done
            assert done["run"]["counts"]["item_scraped_count"] == 4
            assert done["run"]["politeness"] and done["log"]
            time.sleep(1)  # the store's version is read at most every 0.5 s
            found = client.get("/api/v1/search", params={"q": "fabric live"}).json()
            assert "Fabric Live 101" in {s["title"] for s in found["sets"]}
            runs = client.get("/api/v1/runs").json()["items"]
            assert run_name(done["id"]) in {r["name"] for r in runs}


def test_a_job_runs_only_under_the_settings_of_the_server_that_took_it(
    sqlite_store: str, tmp_path: Path
) -> None:
    """Two servers on one store, one started with ALLOW_PRIVATE_HOSTS: a job taken by it
    was run by whichever runner claimed it first, so half of them crawled under the other
    server's settings (here: refused by its private-address guard)."""
    url = store_copy(sqlite_store, tmp_path)
    key = add_key(url, "frank")
    guarded = {k: v for k, v in LOOPBACK_CRAWLS.items() if k != "ALLOW_PRIVATE_HOSTS"}
    options = [
        ServeOptions(
            database=url, allow_crawls=True, crawl_settings=settings, jobs_dir=str(tmp_path / name)
        )
        for name, settings in (("lifted", LOOPBACK_CRAWLS), ("guarded", guarded))
    ]
    with (
        LoopbackSite("127.29.0.5", root=DEMO) as site,
        Served(build_app(options[0])) as lifted,
        Served(build_app(options[1])),
        httpx.Client(base_url=lifted, timeout=30) as client,
    ):
        body = {"spider": "sets", "args": {"start_urls": site.url("/")}}
        for _ in range(3):  # each runner polls: either could claim a job first
            job = client.post("/api/v1/crawls", json=body, headers=auth(key)).json()["id"]
            done = wait_for(client, job, key)
            assert done["status"] == "ok", done
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        servers = {row[0] for row in db.execute("SELECT server FROM crawl_jobs")}
    assert len(servers) == 1 and len(servers.pop()) == 64
