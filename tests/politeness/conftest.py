"""Loopback farms and real crawls for the politeness tests."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.devserver import LoopbackSite, Reply

ROOT = Path(__file__).resolve().parents[2]
SPIDER = "tests.politeness.spider.PoliteTestSpider"
BASE_SETTINGS: dict[str, Any] = {
    "ALLOW_PRIVATE_HOSTS": True,
    "ITEM_PIPELINES": {},
    "CRAWL_RUNS_RECORD": False,
    "LOG_LEVEL": "INFO",
    "CRAWL_DELAY_DEFAULT": 0.05,
    "DOWNLOAD_TIMEOUT": 10,
    "TDMREP_FETCH_WELLKNOWN": False,  # test_tdm... turns it on; elsewhere it adds a request
}


@dataclass
class Crawl:
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str
    returncode: int

    def stat(self, key: str, default: Any = 0) -> Any:
        return self.stats.get(key, default)

    def urls(self) -> set[str]:
        return {item["url"] for item in self.items}


def crawl(
    urls: list[str],
    settings: dict[str, Any] | None = None,
    tmp_path: Path | None = None,
    spider: str = SPIDER,
    timeout: float = 60,
    **kwargs: Any,
) -> Crawl:
    """Crawl ``urls`` with the project's settings (plus test overrides) in a subprocess."""
    import tempfile

    workdir = Path(tmp_path or tempfile.mkdtemp())
    spec = workdir / "spec.json"
    out = workdir / "out.json"
    spec.write_text(
        json.dumps(
            {
                "spider": spider,
                "kwargs": {"urls": urls, **kwargs},
                # A store of the crawl's own (the same for crawls given the same tmp_path):
                # robots.txt verdicts and last requests kept by an earlier test's crawl of
                # the same loopback address and port must not reach this one.
                "settings": {
                    **BASE_SETTINGS,
                    "DATABASE_URL": f"sqlite:///{workdir / 'crawler.db'}",
                    **(settings or {}),
                },
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.politeness.crawl_runner", str(spec), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if not out.exists():
        raise AssertionError(f"crawl failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
    data = json.loads(out.read_text())
    return Crawl(data["items"], data["stats"], proc.stderr, proc.returncode)


def robots(body: str, status: int = 200, **headers: str) -> Reply:
    return Reply(status, body, headers=headers, content_type="text/plain")


def page(links: list[str] = (), head: str = "", body: str = "") -> Reply:  # type: ignore[assignment]
    anchors = "".join(f'<a href="{link}">{link}</a>' for link in links)
    return Reply(200, f"<html><head>{head}</head><body>{anchors}{body}</body></html>")


def gaps(site: LoopbackSite, skip_robots: bool = False) -> list[float]:
    """Gaps between consecutive requests as the server saw them."""
    times = [r.time for r in site.requests() if not (skip_robots and r.path == "/robots.txt")]
    return [b - a for a, b in itertools.pairwise(times)]


@pytest.fixture
def sites() -> Iterator[list[LoopbackSite]]:
    """Up to eight hosts, 127.0.0.2 ... 127.0.0.9, started by the test, stopped after."""
    started: list[LoopbackSite] = []

    class Farm(list[LoopbackSite]):
        def add(self, routes: dict[str, Any], host: int | None = None) -> LoopbackSite:
            site = LoopbackSite(f"127.0.0.{host or len(started) + 2}", 0, routes).start()
            started.append(site)
            self.append(site)
            return site

    yield Farm()
    for site in started:
        site.stop()
