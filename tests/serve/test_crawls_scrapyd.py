"""A crawl started over HTTP on a server whose jobs go to a real scrapyd (SCRAPYD_URL): the
project deployed with scrapyd-deploy (as docs/scheduling.md says), the job followed to
``ok`` with its sets searchable and its ``crawl_runs`` row named after the job."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
import pytest

from crawler.devserver import LoopbackSite
from crawler.serve.launch import ServeOptions, build_app
from tests.adoption.test_scrapyd import (
    Environment,
    Scrapyd,
    scrapyd,  # noqa: F401 (the fixture, on the one below)
)
from tests.serve.conftest import Served
from tests.serve.test_crawls import DEMO, LOOPBACK_CRAWLS, add_key, auth, store_copy

pytestmark = pytest.mark.slow


@pytest.fixture
def environment(tmp_path_factory: pytest.TempPathFactory) -> Environment:
    """The documented scrapyd virtualenv, of the Python running the tests only (the
    adoption tests try every version), made once for the session."""
    return Environment.of_session(f"{sys.version_info[0]}.{sys.version_info[1]}", tmp_path_factory)


def test_a_job_runs_on_scrapyd_to_ok(
    environment: Environment,
    scrapyd: Scrapyd,  # noqa: F811
    sqlite_store: str,
    tmp_path: Path,
) -> None:
    deployed = environment.deploy_to(scrapyd)  # as documented
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    url = store_copy(sqlite_store, tmp_path)
    key = add_key(url, "dana")
    options = ServeOptions(database=url, allow_crawls=True, crawl_settings=LOOPBACK_CRAWLS,
                           scrapyd_url=scrapyd.url)  # fmt: skip
    with (
        LoopbackSite("127.29.0.2", root=DEMO) as site,
        Served(build_app(options)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        body = {"spider": "sets", "args": {"start_urls": site.url("/")}}
        assert client.post("/api/v1/crawls", json=body).status_code == 401
        started = client.post("/api/v1/crawls", json=body, headers=auth(key))
        assert started.status_code == 202, started.text
        job = started.json()["id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            answer = client.get(f"/api/v1/crawls/{job}", headers=auth(key)).json()
            if answer["status"] not in ("queued", "running"):
                break
            time.sleep(0.5)
        assert answer["status"] == "ok", (answer, scrapyd.output())
        assert answer["run"]["counts"]["item_scraped_count"] == 4
        assert answer["log_url"].endswith(f"/{job}.log") and answer["log"]
        assert job in {j["id"] for j in scrapyd.call("listjobs.json?project=crawler")["finished"]}
        found = client.get("/api/v1/search", params={"q": "fabric live"}).json()
        assert "Fabric Live 101" in {s["title"] for s in found["sets"]}
