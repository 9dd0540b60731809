"""pywb, a real replay system, replays a crawled set page from the crawl's own archive and
CDXJ index (copied into a collection as they are, not re-indexed by pywb), with the same body.

pywb pins ``redis<3`` while the cluster extra needs ``redis>=5``, so it cannot share the
project's environment: the test installs it into a virtualenv of its own (once a session).
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.archive.site import archive_site
from tests.conftest import REQUIRE_SERVICES, run_cli

PYWB = "pywb==2.10.0"
ADDRESS, REPLAY = "127.26.5.2", "127.26.5.3"


def _missing(message: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pywb_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("pywb") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", PYWB],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if installed.returncode != 0:
        _missing(f"could not install {PYWB}: {installed.stderr[-500:]}")
    return venv / "bin"


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_pywb_replays_a_crawled_set_page_with_the_same_body(tmp_path: Path, pywb_bin: Path) -> None:
    warc = tmp_path / "warc"
    with archive_site(ADDRESS) as site:
        run_cli(
            "crawl", "sets", "-a", f"start_urls={site.url('/')}", "--warc", str(warc),
            "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'db.sqlite'}",
            "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", "CRAWL_DELAY_DEFAULT=0.05",
        ).check()  # fmt: skip
        pages = {n: site.url(f"/set/{n}") for n in (1, 2)}
        sent = {n: site.routes[f"/set/{n}"] for n in (1, 2)}
    root = tmp_path / "pywb"
    root.mkdir()
    subprocess.run([str(pywb_bin / "wb-manager"), "init", "farm"], cwd=root, check=True)
    collection = root / "collections" / "farm"
    for path in warc.glob("*.warc.gz"):
        shutil.copy(path, collection / "archive")
    for path in warc.glob("*.cdxj"):
        shutil.copy(path, collection / "indexes")
    port = _free_port(REPLAY)
    server = subprocess.Popen(
        [str(pywb_bin / "wayback"), "-p", str(port), "-b", REPLAY],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    try:
        bodies = {
            n: _replayed(f"http://{REPLAY}:{port}/farm/2026id_/{url}") for n, url in pages.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
    plain = sent[2].body
    assert bodies[2] == (plain.encode() if isinstance(plain, str) else plain)
    # the page sent gzipped replays as the page, whichever way pywb hands it over
    zipped = sent[1].body
    assert isinstance(zipped, bytes)
    assert bodies[1] in (zipped, gzip.decompress(zipped))


def _replayed(url: str) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                body: bytes = answer.read()
                if answer.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                return body
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
