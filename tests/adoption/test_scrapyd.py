"""scrapyd for real: the commands of docs/scheduling.md, from a clean copy of the repository.

A fresh virtualenv with the package and current scrapyd and scrapyd-client
(tests/adoption/conftest.py) runs scrapyd on a loopback port in a temporary folder;
``scrapyd-deploy`` builds the egg and uploads it; ``schedule.json`` runs ``exports`` and
``sets`` (against a loopback site) into a SQLite store; a crawl that cannot start is a
failed job in scrapyd's log.
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.devserver import LoopbackSite
from tests.adoption.conftest import Installed

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "crawler" / "demo_site"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Scrapyd:
    def __init__(self, installed: Installed, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        (folder / "scrapyd.conf").write_text(
            "[scrapyd]\nbind_address = 127.0.0.1\n"
            f"http_port = {self.port}\neggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\n"
            "items_dir =\nmax_proc = 2\npoll_interval = 0.2\n",
            encoding="utf-8",
        )
        self.log = (folder / "scrapyd.log").open("w")
        self.proc = subprocess.Popen(
            [installed.bin("scrapyd")], cwd=folder, env=installed.env(),
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def call(self, endpoint: str, data: list[tuple[str, str]] | None = None) -> Any:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with urllib.request.urlopen(self.url + endpoint, data=body, timeout=10) as reply:
            return json.loads(reply.read())

    def wait_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.call("daemonstatus.json")
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("scrapyd did not start:\n" + self.output())

    def wait_finished(self, jobs: set[str], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            finished = {j["id"] for j in self.call("listjobs.json?project=crawler")["finished"]}
            if jobs <= finished:
                return
            time.sleep(0.3)
        raise AssertionError("jobs did not finish:\n" + self.output())

    def job_log(self, spider: str, job: str) -> str:
        return (self.folder / "logs" / "crawler" / spider / f"{job}.log").read_text()

    def output(self) -> str:
        self.log.flush()
        return (self.folder / "scrapyd.log").read_text()[-5000:]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture
def scrapyd(installed: Installed, tmp_path: Path) -> Iterator[Scrapyd]:
    folder = tmp_path / "scrapyd"
    folder.mkdir()
    server = Scrapyd(installed, folder)
    try:
        server.wait_up()
        yield server
    finally:
        server.stop()


def test_deploy_schedule_and_store(installed: Installed, scrapyd: Scrapyd, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(installed.source, clone)
    cfg = (clone / "scrapy.cfg").read_text(encoding="utf-8")
    (clone / "scrapy.cfg").write_text(
        cfg.replace("url = http://localhost:6800/", f"url = {scrapyd.url}"), encoding="utf-8"
    )
    deployed = installed.run("scrapyd-deploy", cwd=clone)  # as docs/scheduling.md says
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert '"status": "ok"' in deployed.stdout, deployed.stdout + deployed.stderr
    assert set(scrapyd.call("listspiders.json?project=crawler")["spiders"]) >= {"sets", "exports"}

    store = f"DATABASE_URL=sqlite:///{tmp_path / 'store.db'}"
    export_file = ROOT / "fixtures" / "exports" / "mat_zo_abgt500.cue"
    with LoopbackSite("127.0.0.1", root=DEMO) as site:
        jobs = {
            "exports": scrapyd.call("schedule.json", [
                ("project", "crawler"), ("spider", "exports"),
                ("path", str(export_file)), ("setting", store),
            ])["jobid"],
            "sets": scrapyd.call("schedule.json", [
                ("project", "crawler"), ("spider", "sets"), ("start_urls", site.url("/")),
                ("setting", store), ("setting", "ALLOW_PRIVATE_HOSTS=True"),
                ("setting", "CONTACT=mailto:me@example.org"),
            ])["jobid"],
            "failed": scrapyd.call("schedule.json", [
                ("project", "crawler"), ("spider", "sets"), ("start_url", site.url("/")),
                ("setting", store),
            ])["jobid"],
        }  # fmt: skip
        scrapyd.wait_finished(set(jobs.values()))
        fetched = {r.path for r in site.requests()}
    assert "/robots.txt" in fetched and "/sets/archive.html" in fetched
    with sqlite3.connect(tmp_path / "store.db") as conn:
        sources = dict(
            conn.execute(
                "SELECT sources.key, count(*) FROM sets JOIN sources ON sources.id = source_id"
                " GROUP BY sources.key"
            )
        )
        runs = conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
    assert sources == {"cue": 1, "schema.org": 4}, sources
    assert runs == 2
    # The crawl that could not start: its one line in the job's log, a non-zero exit in
    # scrapyd's (listjobs.json says "finished" for every job that ended).
    log = scrapyd.job_log("sets", jobs["failed"])
    assert "-a start_url (did you mean start_urls?)" in log, log[-3000:]
    assert "Traceback" not in log
    assert "Process died: exitstatus=2" in scrapyd.output()
