"""A user's own Scrapy project with only the add-ons: exactly as polite as ``scrapy crawl sets``.

Everything runs as a user runs it: ``scrapy startproject`` in a temporary folder, the
example spider and page class of docs/examples/radioshows/ copied in, the add-on lines
added to its settings.py, then ``scrapy crawl`` there, with the wheel installed in a fresh
virtualenv (tests/adoption/conftest.py) and nothing of this repository on the path. The
loopback site's own log is the ground truth.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from crawler import PRODUCT
from crawler.addons import POLITENESS_COMPONENTS, POLITENESS_SETTINGS, impolite_settings
from crawler.devserver import LoggedRequest, LoopbackSite, Reply
from crawler.spiders.sets import SetsSpider
from tests.adoption.conftest import Installed

ROOT = Path(__file__).resolve().parents[2]
STOCK_ROBOTS = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"
EXAMPLE = ROOT / "docs" / "examples" / "radioshows"
CRAWL_DELAY = 0.5
CONTACT = "mailto:me@example.org"


def _page(title: str, links: str = "") -> str:
    return (
        f"<html><body><h1>{title}</h1><p class='dj'>DJ Example</p>"
        "<ol class='tracks'><li>Artist One - First Track</li><li>Artist Two - Second</li></ol>"
        f"{links}</body></html>"
    )


def _site() -> LoopbackSite:
    links = "".join(f"<a class='show' href='/show/{n}'>show {n}</a>" for n in (1, 2))
    return LoopbackSite(
        "127.0.0.1",
        routes={
            "/robots.txt": Reply(200, f"User-agent: *\nCrawl-delay: {CRAWL_DELAY}\n"),
            "/": Reply(200, f"<html><body>{links}</body></html>"),
            "/show/1": Reply(200, _page("Show one")),
            "/show/2": Reply(200, _page("Show two")),
        },
    )


@pytest.fixture(scope="module")
def scrapy(installed: Installed) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``scrapy ARGS`` of the fresh virtualenv, in a folder: as the user runs it."""

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return installed.run("scrapy", *args, cwd=cwd, timeout=90)

    return run


@pytest.fixture(scope="module")
def user_project(tmp_path_factory: pytest.TempPathFactory, scrapy: Any) -> Path:
    """``scrapy startproject radioshows`` plus the docs' example files and add-on lines."""
    where = tmp_path_factory.mktemp("user")
    scrapy("startproject", "radioshows", cwd=where).check_returncode()
    project = where / "radioshows"
    package = project / "radioshows"
    shutil.copy(EXAMPLE / "pages.py", package / "pages.py")
    shutil.copy(EXAMPLE / "shows.py", package / "spiders" / "shows.py")
    with (package / "settings.py").open("a", encoding="utf-8") as settings:
        settings.write("\n" + (EXAMPLE / "settings_addons.py").read_text(encoding="utf-8"))
        # The template's DOWNLOAD_DELAY = 1 stays a floor; lowered here so that the gaps
        # measured are robots.txt's Crawl-delay, not the floor.
        settings.write("DOWNLOAD_DELAY = 0\nALLOW_PRIVATE_HOSTS = True  # the site is loopback\n")
    return project


def assert_polite(log: list[LoggedRequest], pages: set[str]) -> None:
    """Identity on every request, robots.txt before anything else, and the host's pace."""
    assert log, "nothing was fetched"
    assert log[0].path == "/robots.txt", [r.path for r in log]
    for request in log:
        assert request.user_agent.startswith(f"{PRODUCT}/"), request.user_agent
        assert CONTACT in request.user_agent, request.user_agent
    gaps = [b.time - a.time for a, b in itertools.pairwise(log)]
    assert min(gaps) >= CRAWL_DELAY * 0.95, gaps
    assert pages <= {r.path for r in log}


def _stored_titles(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        return sorted(row[0] for row in conn.execute("SELECT title FROM sets"))


@pytest.mark.slow
def test_a_user_spider_with_only_the_addons_is_polite_and_stores(
    user_project: Path, scrapy: Any
) -> None:
    database = user_project / "shows.db"
    with _site() as site:
        result = scrapy(
            "crawl", "shows", "-a", f"start_urls={site.url('/')}",
            "-s", f"DATABASE_URL=sqlite:///{database}", "-O", "shows.csv", cwd=user_project,
        )  # fmt: skip
        log = site.requests()
    assert result.returncode == 0, result.stderr[-3000:]
    assert_polite(log, {"/", "/show/1", "/show/2"})
    assert _stored_titles(database) == ["Show one", "Show two"]
    csv = (user_project / "shows.csv").read_text(encoding="utf-8").splitlines()
    assert len(csv) == 1 + 4  # one row per track entry: Tracklists' feed exporter


@pytest.mark.slow
def test_the_shipped_spider_runs_in_the_user_project(user_project: Path, scrapy: Any) -> None:
    database = user_project / "sets.db"
    with _site() as site:
        result = scrapy(
            "crawl", "sets", "-a", f"start_urls={site.url('/')}", "-a", "max_depth=0",
            "-a", "sitemaps=0", "-s", f"DATABASE_URL=sqlite:///{database}", cwd=user_project,
        )  # fmt: skip
        log = site.requests()
    assert result.returncode == 0, result.stderr[-3000:]
    assert_polite(log, {"/"})


@pytest.mark.slow
def test_a_subclass_run_with_runspider_keeps_politeness(tmp_path: Path, scrapy: Any) -> None:
    """No project at all: the subclass inherits the shipped spider's add-ons."""
    (tmp_path / "mine.py").write_text(
        "from crawler.spiders.sets import SetsSpider\n\n\n"
        "class MySets(SetsSpider):\n    name = 'mysets'\n",
        encoding="utf-8",
    )
    with _site() as site:
        result = scrapy(
            "runspider", "mine.py", "-a", f"start_urls={site.url('/')}",
            "-a", "sitemaps=0", "-s", f"CONTACT={CONTACT}", "-s", "ALLOW_PRIVATE_HOSTS=True",
            "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'db.sqlite'}", cwd=tmp_path,
        )  # fmt: skip
        log = site.requests()
    assert result.returncode == 0, result.stderr[-3000:]
    assert_polite(log, {"/", "/show/1", "/show/2"})
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:  # the store is wired too
        assert conn.execute("SELECT count(*) FROM crawl_runs").fetchone() == (1,)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("AUTOTHROTTLE_ENABLED = True", "AUTOTHROTTLE_ENABLED"),
        ("CONCURRENT_REQUESTS_PER_DOMAIN = 8", "CONCURRENT_REQUESTS_PER_DOMAIN = 8"),
    ],
)
def test_an_impolite_user_setting_is_refused_before_anything_is_sent(
    user_project: Path, tmp_path: Path, scrapy: Any, setting: str, says: str
) -> None:
    project = tmp_path / "radioshows"
    shutil.copytree(user_project, project)
    with (project / "radioshows" / "settings.py").open("a", encoding="utf-8") as settings:
        settings.write(setting + "\n")
    with _site() as site:
        result = scrapy("crawl", "shows", "-a", f"start_urls={site.url('/')}", cwd=project)
        log = site.requests()
    assert result.returncode != 0
    refusals = [ln for ln in result.stderr.splitlines() if "Politeness refuses to start" in ln]
    assert refusals and says in refusals[0], result.stderr[-3000:]
    assert log == []


# -- the settings themselves: the add-on's crawl is the project's crawl ------------------------


def _settings(module: str | None, **given: object) -> Settings:
    settings = Settings()
    if module is not None:
        settings.setmodule(module, priority="project")
    settings.setdict(given, priority="project")
    settings.set("TWISTED_REACTOR_ENABLED", False)  # settings only: no reactor needed
    crawler = Crawler(SetsSpider, settings)
    crawler._apply_settings()
    return crawler.settings


def test_the_addon_alone_gives_the_projects_politeness_settings() -> None:
    project = _settings("crawler.settings")
    # Scrapy's defaults plus nothing but the add-on (the spider brings it):
    alone = _settings(None)
    for name in POLITENESS_SETTINGS:
        assert alone[name] == project[name], name
    for name, entries in POLITENESS_COMPONENTS.items():
        for key, value in entries.items():
            assert alone[name][key] == project[name][key] == value, (name, key)
    assert impolite_settings(alone) == []


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"AUTOTHROTTLE_ENABLED": True}, "AUTOTHROTTLE_ENABLED"),
        ({"CONCURRENT_REQUESTS_PER_DOMAIN": 2}, "CONCURRENT_REQUESTS_PER_DOMAIN = 2"),
        (
            {"DOWNLOADER_MIDDLEWARES": {STOCK_ROBOTS: 100}},
            "RobotsTxtMiddleware enabled",
        ),
        (
            {"DOWNLOADER_MIDDLEWARES": {"crawler.politeness.robots.RobotsPolicy": None}},
            "crawler.politeness.robots.RobotsPolicy disabled",
        ),
        (
            {"DOWNLOAD_HANDLERS": {"https": "my.Handler"}},
            "bypasses the paced handler",
        ),
        (  # the figures too: a traceback and exit 1 before, now exit 4 and one line
            {"CRAWL_DELAY_DEFAULT": "nan", "ROBOTSTXT_MAX_BYTES": 1000},
            "CRAWL_DELAY_DEFAULT is not a number .*ROBOTSTXT_MAX_BYTES must be at least",
        ),
    ],
)  # fmt: skip
def test_impolite_settings_are_refused_in_one_line(given: dict[str, object], says: str) -> None:
    from crawler.addons import PolitenessRefused

    with pytest.raises(PolitenessRefused, match=says) as refused:
        _settings(None, **given)
    assert "\n" not in str(refused.value)


def test_user_settings_win_where_safe() -> None:
    settings = _settings(None, DOWNLOAD_DELAY=2, CONTACT=CONTACT, CONCURRENT_REQUESTS=8)
    assert settings.getfloat("DOWNLOAD_DELAY") == 2
    assert settings["CONTACT"] == CONTACT
    assert settings.getint("CONCURRENT_REQUESTS") == 8
    order = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert order["crawler.politeness.robots.RobotsPolicy"] == 100
