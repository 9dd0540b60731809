"""The installed wheel runs: in a folder with no scrapy.cfg, nothing of the repository near.

Crawl, import, export, policy, schedule and demo through the ``crawler`` command of a
fresh virtualenv (tests/adoption/conftest.py), with the wheel's core dependencies only.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from crawler import __version__
from crawler.devserver import LoopbackSite
from tests.adoption.conftest import Installed

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _sets(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM sets").fetchone()[0])


def test_the_wheel_holds_its_data(installed: Installed) -> None:
    import zipfile

    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for name in [
        "crawler/store/alembic.ini",
        "crawler/store/migrations/script.py.mako",
        "crawler/store/migrations/env.py",
        "crawler/store/migrations/versions/0001_initial_tables.py",
        "crawler/politeness/sites.toml",
        "crawler/demo_site/index.html",
        "crawler/demo_site/robots.txt",
    ]:
        assert name in names, name
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(installed.wheel).read(entry_points).decode()
    assert "[scrapy]\nsettings = crawler.settings" in text


def test_crawl_import_export_from_a_folder_without_a_project(
    installed: Installed, tmp_path: Path
) -> None:
    assert not (tmp_path / "scrapy.cfg").exists()
    version = installed.run("crawler", "--version", cwd=tmp_path)
    assert version.stdout.strip() == f"crawler {__version__}"
    store = f"DATABASE_URL=sqlite:///{tmp_path / 'store.db'}"
    demo = Path(__file__).resolve().parents[2] / "crawler" / "demo_site"
    with LoopbackSite("127.0.0.1", root=demo) as site:
        crawl = installed.run(
            "crawler", "crawl", "sets", "-a", f"start_urls={site.url('/')}",
            "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", store, cwd=tmp_path,
        )  # fmt: skip
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert _sets(tmp_path / "store.db") == 4
    export_file = ROOT / "fixtures" / "exports" / "mat_zo_abgt500.cue"
    imported = installed.run(
        "crawler", "crawl", "exports", "-a", f"path={export_file}", "-s", store, cwd=tmp_path
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert _sets(tmp_path / "store.db") == 5
    exported = installed.run(
        "crawler", "export", "--database", store.split("=", 1)[1], "-o", "-", cwd=tmp_path
    )
    assert exported.returncode == 0, exported.stderr
    assert len([json.loads(line) for line in exported.stdout.splitlines()]) == 5
    assert not (tmp_path / "data").exists()  # everything went where DATABASE_URL said
    # crawler export -o - | head: the reader goes away before the export writes
    closed = subprocess.Popen(
        [installed.bin("crawler"), "export", "--database", store.split("=", 1)[1], "-o", "-"],
        cwd=tmp_path, env=installed.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert closed.stdout is not None and closed.stderr is not None
    closed.stdout.close()
    errors = closed.stderr.read().decode()
    assert closed.wait(timeout=60) == 0, errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors


def test_demo_runs_from_the_installed_package(installed: Installed, tmp_path: Path) -> None:
    demo = installed.run("crawler", "demo", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "4 sets" in demo.stdout
    assert {"crawler.db", "sets.json", "sets.csv"} <= {
        p.name for p in (tmp_path / "data").iterdir()
    }


def test_schedule_runs_a_crawl_of_the_installed_package(
    installed: Installed, tmp_path: Path
) -> None:
    export_file = ROOT / "fixtures" / "exports" / "mat_zo_abgt500.cue"
    (tmp_path / "schedule.toml").write_text(
        'database = "sqlite:///store.db"\n\n[crawls.mine]\nspider = "exports"\n'
        f'cron = "0 3 * * *"\nargs = {{ path = "{export_file}" }}\n',
        encoding="utf-8",
    )
    run = installed.run("crawler", "schedule", "run", "mine", "--force", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    listed = installed.run("crawler", "schedule", "list", cwd=tmp_path)
    assert "mine" in listed.stdout and "finished" in listed.stdout, listed.stdout
    assert _sets(tmp_path / "store.db") == 1


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["crawl", "sets", "-a", "start_url=http://127.0.0.1:9/"], 2,
         "-a start_url (did you mean start_urls?)"),
        (["crawl", "sets"], 2, "nothing to crawl: give -a start_urls="),
        (["crawl", "exports"], 2, "nothing to import: give -a path="),
        (["crawl", "sets", "-a", "start_urls=http://127.0.0.1:9/", "-s", "AUTOTHROTTLE_ENABLED=1"],
         4, "Politeness refuses to start: AUTOTHROTTLE_ENABLED"),
        (["crawl", "sets", "-a", "start_urls=http://127.0.0.1:9/", "-s", "REDIS_URL=redis://127.0.0.1:1/0"],
         2, "pip install 'polite-tracklist-crawler[cluster]'"),
        (["crawl", "sets", "-a", "start_urls=http://127.0.0.1:9/", "-s", "DATABASE_URL=postgresql+psycopg://u@127.0.0.1:1/db"],
         2, "pip install 'polite-tracklist-crawler[postgres]'"),
        (["export", "--database", "postgresql+psycopg://u@127.0.0.1:1/db", "-o", "-"],
         2, "pip install 'polite-tracklist-crawler[postgres]'"),
        (["export", "-o", "sets.json"], 1, "no database at data/crawler.db"),
        (["export", "--database", "sqlite:///typo/crawler.db", "-o", "-"], 1,
         "no database at typo/crawler.db"),
        (["policy", "https://example.org/sets/", "--no-fetch"], 4, "REFUSED"),
    ],
)  # fmt: skip
def test_commands_tell_the_truth_in_one_line(
    installed: Installed, tmp_path: Path, args: list[str], code: int, says: str
) -> None:
    result = installed.run("crawler", *args, cwd=tmp_path)
    assert result.returncode == code, (result.stdout + result.stderr)[-3000:]
    assert says in result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert list(tmp_path.iterdir()) == []  # nothing created: no store, folder or output
