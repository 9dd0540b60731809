"""`crawler crawl sets --warc DIR`: every response as received, valid WARC 1.1, indexed."""

from __future__ import annotations

import gzip
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from crawler.archive.writer import index_warc
from tests.archive.site import archive_site, records, warcio
from tests.conftest import run_cli

ADDRESS = "127.26.1.2"


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """One crawl into small WARC files (so that they rotate); the pages the site saw."""
    tmp = tmp_path_factory.mktemp("archive")
    with archive_site(ADDRESS) as site:
        run_cli(
            "crawl", "sets", "-a", f"start_urls={site.url('/')}", "--warc", str(tmp / "warc"),
            "-s", "WARC_MAX_BYTES=3000", "-s", "ALLOW_PRIVATE_HOSTS=True",
            "-s", f"DATABASE_URL=sqlite:///{tmp}/db.sqlite", "-s", "CRAWL_DELAY_DEFAULT=0.05",
        ).check()  # fmt: skip
        fetched = [site.url(r.path) for r in site.requests()]
    return tmp / "warc", fetched


def test_warcio_checks_and_indexes_every_file(crawl: tuple[Path, list[str]]) -> None:
    folder, _ = crawl
    files = sorted(folder.glob("*.warc.gz"))
    assert len(files) > 1  # rotated at WARC_MAX_BYTES
    assert not list(folder.glob("*.open"))  # every file closed
    for path in files:
        assert re.fullmatch(r"sets-\d{17}-\d{5}-[^/]+\.warc\.gz", path.name), path.name
        checked = warcio("check", "-v", str(path))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "digest pass" in checked.stdout
        indexed = warcio("index", str(path))
        assert indexed.returncode == 0, indexed.stderr
        # a CDXJ index beside each file: the very lines cdxj-indexer writes for it
        cdxj = path.with_name(path.name.removesuffix(".warc.gz") + ".cdxj")
        ours = cdxj.read_text()
        assert path.name in ours
        reference = index_warc(shutil.copy(path, folder.parent / path.name))
        assert ours == reference.read_text()


def test_every_response_once_with_its_request_and_metadata(
    crawl: tuple[Path, list[str]],
) -> None:
    folder, fetched = crawl
    recs = list(records(folder))
    first_of_file = {}
    for rec in recs:
        first_of_file.setdefault(rec.file, rec)
    assert {r.type for r in first_of_file.values()} == {"warcinfo"}  # one per file, first
    responses = [r for r in recs if r.type == "response"]
    # every request the server saw (robots.txt, tdmrep.json, pages, the 404) once
    assert Counter(r.url for r in responses) == Counter(fetched)
    by_id = {r.id: r for r in responses}
    requests = [r for r in recs if r.type == "request"]
    metadata = [r for r in recs if r.type == "metadata"]
    assert sorted(r.headers["WARC-Concurrent-To"] for r in requests) == sorted(by_id)
    assert sorted(r.headers["WARC-Refers-To"] for r in metadata) == sorted(by_id)
    for rec in metadata:
        assert rec.headers["Content-Type"] == "application/warc-fields"
        assert by_id[rec.headers["WARC-Refers-To"]].file == rec.file  # never split
    for rec in requests:
        assert f"{rec.http.protocol} {rec.http.statusline}".startswith("GET /")
        assert rec.http.statusline.endswith(" HTTP/1.1")
        assert rec.http.get_header("User-Agent").startswith("PoliteTracklistCrawler/")


def test_responses_as_received(crawl: tuple[Path, list[str]]) -> None:
    folder, _ = crawl
    responses = {r.url.split("/", 3)[3]: r for r in records(folder) if r.type == "response"}
    home, gone, zipped = responses[""], responses["gone"], responses["set/1"]
    assert home.http.statusline == "200 Fine Thanks"  # the server's phrase, not Scrapy's
    assert home.http.protocol == "HTTP/1.1"
    assert gone.http.statusline == "404 Not Here Anymore"
    assert gone.body.endswith(b"this set was taken down")
    assert home.headers["WARC-IP-Address"] == ADDRESS
    # the body as sent: still gzipped, with its Content-Encoding
    assert zipped.http.get_header("Content-Encoding") == "gzip"
    assert b"Farm set 26-1" in gzip.decompress(zipped.body)


def test_metadata_says_what_permitted_each_page(crawl: tuple[Path, list[str]]) -> None:
    folder, _ = crawl
    fields = {}
    for rec in records(folder):
        if rec.type == "metadata":
            lines = rec.body.decode().split("\r\n")
            fields[rec.url.split("/", 3)[3]] = dict(ln.split(": ", 1) for ln in lines if ln)
    assert fields["robots.txt"]["robots"].startswith("this is the host's robots.txt")
    page = fields["set/1"]
    assert page["robots"] == "parsed (HTTP 200)"
    assert page["robots-group"] == "User-agent: *"
    assert page["robots-rule"] == "Allow: /"
    assert page["crawl-delay"] == "0.05 (CRAWL_DELAY_DEFAULT (robots.txt gives no rate))"
    assert page["ai-use-content-usage"] == "train-ai=n"
    assert page["ai-use-content-usage-from"] == "robots.txt /set/"
    assert page["ai-use-train-ai"] == "False"
    # the longest path wins; a header beats robots.txt's Content-Signal
    assert fields["set/2"]["ai-use-content-usage"] == "train-ai=y"
    assert fields["set/2"]["ai-use-train-ai"] == "True"
    assert fields["set/3"]["ai-use-content-signal"] == "ai-train=no"
    assert fields["set/3"]["ai-use-train-ai"] == "False"
    assert "ai-use-content-usage" not in fields[""]
    assert fields[""]["ai-use-content-signal"] == "search=yes, ai-input=yes"


def test_reextract_counts_an_archived_404_as_gone(
    crawl: tuple[Path, list[str]], tmp_path: Path
) -> None:
    from sqlalchemy import select

    from crawler.items import DJSet
    from crawler.store import session_factory, store_set, utcnow
    from crawler.store.models import DJSetRow

    folder, fetched = crawl
    gone = next(url for url in fetched if url.endswith("/gone"))
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with session_factory(db).begin() as session:  # the set that page held, stored before
        store_set(session, DJSet(source="schema.org", url=gone, title="Taken down"), utcnow())
    result = run_cli("reextract", "--warc", str(folder), "--database", db).check()
    assert "'incremental/sets_gone': 1" in result.stderr
    assert "1 gone" in result.stderr  # the crawl's summary line
    with session_factory(db)() as session:
        assert session.scalar(select(DJSetRow.gone_at).where(DJSetRow.url == gone))
