"""scrapyd for real: the commands of docs/scheduling.md (and the README), exactly as written.

From a clean copy of the repository, in a fresh virtualenv of each Python the project
supports here (3.11, whose venv brings setuptools 65.5, and 3.12, whose venv brings none):
``python3 -m venv scrapyd-env && . scrapyd-env/bin/activate``, ``pip install scrapyd
scrapyd-client ./``, ``scrapyd`` in its own folder on a loopback port, ``scrapyd-deploy``
from the clone; then ``schedule.json`` runs ``exports`` and ``sets`` (against a loopback
site) into a SQLite store, and a crawl that cannot start is a failed job in scrapyd's log.
The commands are read from the docs, so the docs and the test cannot drift apart.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.devserver import LoopbackSite
from tests.adoption.conftest import clean_copy

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "crawler" / "demo_site"
DOCS = ROOT / "docs" / "scheduling.md"
pytestmark = pytest.mark.slow


def documented_commands() -> dict[str, str]:
    """The scrapyd section's commands (``$ `` lines of its console block, comments cut),
    by their first word: ``python3``, ``pip``, ``scrapyd``, ``scrapyd-deploy``."""
    section = DOCS.read_text(encoding="utf-8").split("## scrapyd", 1)[1]
    block = section.split("```console", 1)[1].split("```", 1)[0]
    commands = [line[2:].split("  #", 1)[0].strip() for line in block.splitlines()
                if line.startswith("$ ")]  # fmt: skip
    return {command.split()[0]: command for command in commands}


def interpreter(version: str) -> str | None:
    """A working ``python<version>``: on PATH, or one pyenv keeps (this machine's kind has
    3.12 there, not as the default)."""
    if version == f"{sys.version_info[0]}.{sys.version_info[1]}":
        return str(Path(sys.base_prefix) / "bin" / f"python{version}")
    found = [shutil.which(f"python{version}")]
    found += sorted(map(str, Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}")))
    for candidate in filter(None, found):
        probe = subprocess.run([candidate, "-c", "pass"], capture_output=True)
        if probe.returncode == 0:
            return candidate
    return None


class Environment:
    """The documented virtualenv, made by the documented commands in a clone, with
    ``python3`` being the Python under test."""

    def __init__(self, python: str, where: Path) -> None:
        self.clone = where / "clone"
        self.shims = where / "shims"
        self.commands = documented_commands()
        if (where / "made").exists():
            return
        shutil.rmtree(where, ignore_errors=True)  # a making that failed half-way
        clean_copy(self.clone)
        self.shims.mkdir()
        (self.shims / "python3").symlink_to(python)
        made = self.shell(self.commands["python3"], self.commands["pip"], timeout=900)
        assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
        version = self.shell("python -c 'import sys; print(sys.version_info[:2])'").stdout
        wanted = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"],
                                capture_output=True, text=True).stdout  # fmt: skip
        assert version == wanted, (version, wanted)  # the venv is of the Python under test
        (where / "made").touch()

    @classmethod
    def of_session(cls, version: str, factory: pytest.TempPathFactory) -> Environment:
        """The environment of Python ``version`` for the whole test session: making one
        takes about a minute, and every scrapyd test deploys from it (skips without it)."""
        python = interpreter(version)
        if python is None:
            pytest.skip(f"no Python {version} on this machine")
        return cls(python, factory.getbasetemp() / f"scrapyd-env-{version}")

    def deploy_to(self, scrapyd: Scrapyd) -> subprocess.CompletedProcess[str]:
        """``scrapyd-deploy`` as documented, to the test's scrapyd (on a free port, not
        the documented 6800: the clone's scrapy.cfg says so)."""
        cfg = (ROOT / "scrapy.cfg").read_text(encoding="utf-8")
        assert "url = http://localhost:6800/" in cfg
        (self.clone / "scrapy.cfg").write_text(
            cfg.replace("url = http://localhost:6800/", f"url = {scrapyd.url}"), encoding="utf-8"
        )
        return self.shell(self.commands["scrapyd-deploy"])

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY_", "VIRTUAL"))}
        env.pop("PYTHONPATH", None)
        env.pop("DATABASE_URL", None)  # a new user's: the default store
        env["PATH"] = f"{self.shims}{os.pathsep}/usr/bin{os.pathsep}/bin"
        return env

    def shell(self, *commands: str, cwd: Path | None = None, timeout: float = 300
              ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        """``commands`` in bash, in the documented environment (activated as the docs say)."""
        activate = f". {self.clone / 'scrapyd-env' / 'bin' / 'activate'}"
        script = "set -e\n" + "\n".join(
            c if c.startswith("python3 -m venv") else f"{activate} && {c}" for c in commands
        )
        return subprocess.run(
            ["bash", "-c", script], cwd=cwd or self.clone, env=self.env(),
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def popen(self, command: str, cwd: Path, log: Any) -> subprocess.Popen[bytes]:
        activate = f". {self.clone / 'scrapyd-env' / 'bin' / 'activate'}"
        return subprocess.Popen(
            ["bash", "-c", f"{activate} && exec {command}"], cwd=cwd, env=self.env(),
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Scrapyd:
    def __init__(self, environment: Environment, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        (folder / "scrapyd.conf").write_text(
            "[scrapyd]\nbind_address = 127.0.0.1\n"
            f"http_port = {self.port}\neggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\n"
            "items_dir =\nmax_proc = 2\npoll_interval = 0.2\n",
            encoding="utf-8",
        )
        self.log = (folder / "scrapyd.log").open("w")
        # "scrapyd &", in its own folder, as documented (scrapyd.conf there gives the port);
        # the test itself is the "&": run in the background by the shell, scrapyd outlived
        # the shell that the test stopped, and every run left one behind.
        command = environment.commands["scrapyd"].removesuffix("&").strip()
        self.proc = environment.popen(command, folder, self.log)

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


@pytest.fixture(params=["3.11", "3.12"], ids=lambda v: f"python{v}")
def environment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Environment:  # fmt: skip
    return Environment.of_session(request.param, tmp_path_factory)


@pytest.fixture
def scrapyd(environment: Environment, tmp_path: Path) -> Iterator[Scrapyd]:
    folder = tmp_path / "scrapyd"
    folder.mkdir()
    server = Scrapyd(environment, folder)
    try:
        server.wait_up()
        yield server
    finally:
        server.stop()


def test_the_readme_gives_the_same_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for word in ("python3", "pip", "scrapyd-deploy"):
        assert documented_commands()[word] in readme, word


def test_deploy_schedule_and_store(
    environment: Environment, scrapyd: Scrapyd, tmp_path: Path
) -> None:
    deployed = environment.deploy_to(scrapyd)
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
