"""Re-extraction from a crawl's archive, and web archives written by others as a source.

The farm's servers are stopped before re-extracting: a request to them would fail, and
the crawl's stats would count it; neither happens. wget (a real, independent WARC writer)
crawls the same kind of site, and its WARC imports to the sets a crawl of the site stores.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crawler.devserver import LoopbackSite, Reply
from crawler.store import iter_sets, session_factory
from tests.archive.site import warcio
from tests.cluster.farm import set_page
from tests.conftest import REQUIRE_SERVICES, run_cli

HOSTS = ("127.26.2.2", "127.26.2.3")
PAGES = 4


def farm_site(address: str, n: int) -> LoopbackSite:
    """A host of the farm: robots.txt, an index and ``PAGES`` set pages."""
    links = "".join(f'<a href="/set/{p}">set {p}</a> ' for p in range(1, PAGES + 1))
    routes: dict[str, Reply] = {
        "/robots.txt": Reply(200, "User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/": Reply(200, f"<html><body>{links}</body></html>"),
    }
    for p in range(1, PAGES + 1):
        routes[f"/set/{p}"] = Reply(200, set_page(n, p))
    return LoopbackSite(address, routes=routes)


def stored(url: str) -> list[dict[str, Any]]:
    with session_factory(url)() as session:
        items = [dataclasses.asdict(s) for s in iter_sets(session, include_gone=True)]
    return sorted(items, key=lambda s: s["url"])


def crawl(db: Path, seeds: list[str], *extra: str) -> str:
    result = run_cli(
        "crawl", "sets", "-a", "start_urls=" + ",".join(seeds), *extra,
        "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", f"DATABASE_URL=sqlite:///{db}",
        "-s", "CRAWL_DELAY_DEFAULT=0.05",
    ).check()  # fmt: skip
    return result.stderr


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A crawl of the farm with its archive; the servers are stopped when it returns."""
    tmp = tmp_path_factory.mktemp("reextract")
    sites = [farm_site(a, n).start() for n, a in enumerate(HOSTS)]
    try:
        crawl(tmp / "crawl.db", [s.url("/") for s in sites], "--warc", str(tmp / "warc"))
    finally:
        for site in sites:
            site.stop()
    for path in (tmp / "warc").glob("*.warc.gz"):
        assert warcio("check", str(path)).returncode == 0
        assert warcio("index", str(path)).returncode == 0
    return tmp


def test_reextract_rebuilds_the_crawl_without_a_request(crawled: Path) -> None:
    fresh = crawled / "fresh.db"
    result = run_cli(
        "reextract", "--warc", str(crawled / "warc"), "--database", f"sqlite:///{fresh}"
    ).check()
    assert "downloader/request_count" not in result.stderr  # nothing was sent
    expected = stored(f"sqlite:///{crawled / 'crawl.db'}")
    assert len(expected) == len(HOSTS) * PAGES
    assert stored(f"sqlite:///{fresh}") == expected
    assert f"'store/created': {len(expected)}" in result.stderr


def test_reextract_into_the_crawls_store_counts_unchanged_and_filters_a_site(
    crawled: Path,
) -> None:
    db = f"sqlite:///{crawled / 'crawl.db'}"
    result = run_cli(
        "reextract", "--warc", str(crawled / "warc"), "--site", HOSTS[0], "--database", db
    ).check()
    assert f"'store/unchanged': {PAGES}" in result.stderr
    assert "store/created" not in result.stderr


def test_a_wacz_package_imports_like_its_warc(crawled: Path) -> None:
    """A WACZ (Webrecorder's package: a zip whose archive/ folder holds the WARCs)."""
    package = crawled / "farm.wacz"
    with zipfile.ZipFile(package, "w") as wacz:
        for path in sorted((crawled / "warc").glob("*.warc.gz")):
            wacz.write(path, f"archive/{path.name}")
    db = crawled / "wacz.db"
    run_cli(
        "crawl", "exports", "-a", f"path={package}", "-s", f"DATABASE_URL=sqlite:///{db}"
    ).check()
    assert stored(f"sqlite:///{db}") == stored(f"sqlite:///{crawled / 'crawl.db'}")


def test_a_warc_written_by_wget_imports_to_the_sets_a_crawl_stores(tmp_path: Path) -> None:
    if shutil.which("wget") is None:  # .ci/run installs it
        (pytest.fail if REQUIRE_SERVICES else pytest.skip)("Debian's wget is not installed")
    with farm_site("127.26.3.2", 7) as site:
        crawl(tmp_path / "crawl.db", [site.url("/")])
        subprocess.run(
            ["wget", "--quiet", "--recursive", "--level=1", "--no-verbose",
             "--warc-file", str(tmp_path / "wget"), "--no-warc-keep-log",
             "--directory-prefix", str(tmp_path / "mirror"), site.url("/")],
            check=False, timeout=60,
        )  # fmt: skip
    archive = tmp_path / "wget.warc.gz"
    assert warcio("check", str(archive)).returncode == 0
    db = tmp_path / "wget.db"
    run_cli(
        "crawl", "exports", "-a", f"path={archive}", "-s", f"DATABASE_URL=sqlite:///{db}"
    ).check()
    imported = stored(f"sqlite:///{db}")
    assert len(imported) == PAGES
    assert imported == stored(f"sqlite:///{tmp_path / 'crawl.db'}")
    # the capture date is wget's WARC-Date, kept with each set and in the export
    out = tmp_path / "wget.jsonl"
    run_cli("export", "--database", f"sqlite:///{db}", "-o", str(out)).check()
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(s["captured_at"].startswith(f"{date.today().year}-") for s in exported)
