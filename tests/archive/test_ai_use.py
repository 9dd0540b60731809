"""AI-use preferences: both syntaxes read, the longest robots.txt path applied per page,
kept with the stored sets and pages, shown, and honoured by ``export --respect-ai-use``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.politeness.aiuse import (
    ai_use_for,
    parse_preferences,
    robots_usage_lines,
    usage_for_path,
)
from crawler.serve.queries import set_detail
from crawler.store import session_factory
from tests.archive.site import ROBOTS, archive_site
from tests.conftest import run_cli

ADDRESS = "127.26.4.2"


def test_both_syntaxes() -> None:
    assert parse_preferences("train-ai=n, search=y") == {"train-ai": "n", "search": "y"}
    assert parse_preferences('ai-train=no, search="yes";x=1, ai-input') == {
        "ai-train": "no", "search": "yes", "ai-input": "y",
    }  # fmt: skip
    usage, signals = robots_usage_lines(ROBOTS + "content-usage: train-genai=n # all\n")
    assert usage == [("/set/", "train-ai=n"), ("/set/2", "train-ai=y"), ("/", "train-genai=n")]
    assert signals == ["search=yes, ai-input=yes"]


def test_longest_path_wins_per_page() -> None:
    usage = [("/", "train-ai=y"), ("/sets/", "train-ai=n"), ("/sets/*.pdf$", "train-ai=y")]
    assert usage_for_path(usage, "/about") == ("/", "train-ai=y")
    assert usage_for_path(usage, "/sets/42") == ("/sets/", "train-ai=n")
    assert usage_for_path(usage, "/sets/42.pdf") == ("/sets/*.pdf$", "train-ai=y")
    assert usage_for_path([("/sets/", "train-ai=n")], "/other") is None


@pytest.mark.parametrize(
    ("usage", "signal", "tdm", "train_ai"),
    [
        ("train-ai=n", None, False, False),
        (None, "ai-train=no, search=yes, ai-input=yes", False, False),  # as train-ai=n
        ("train-genai=n", None, False, False),
        ("train-ai=y", None, False, True),
        (None, "ai-train=yes", False, True),
        ("train-ai=y", "ai-train=no", False, False),  # any reservation reserves
        (None, "search=yes", False, None),
        (None, None, True, False),  # TDMRep reserves mining, training included
    ],
)
def test_what_reserves_training(
    usage: str | None, signal: str | None, tdm: bool, train_ai: bool | None
) -> None:
    assert ai_use_for("/x", usage, signal, tdm_reserved=tdm)["train_ai"] is train_ai
    assert ai_use_for("/x") == {}


def test_kept_with_sets_and_pages_shown_and_respected(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with archive_site(ADDRESS) as site:
        run_cli(
            "crawl", "sets", "-a", f"start_urls={site.url('/')}", "-s", f"DATABASE_URL={db}",
            "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", "CRAWL_DELAY_DEFAULT=0.05",
        ).check()  # fmt: skip
        base = site.url("/")
    with session_factory(db)() as session:
        from sqlalchemy import text

        sets = dict(session.execute(text("SELECT url, id FROM sets")).all())
        pages = dict(session.execute(text("SELECT url, ai_use FROM pages")).all())
        detail = {url: set_detail(session, id_) for url, id_ in sets.items()}
    assert len(detail) == 3
    one, two, three = (detail[f"{base}set/{n}"] for n in (1, 2, 3))
    assert one is not None and two is not None and three is not None
    assert one["ai_use"] == {
        "content_usage": "train-ai=n", "content_usage_from": "robots.txt /set/",
        "content_signal": "search=yes, ai-input=yes", "train_ai": False,
    }  # fmt: skip
    assert two["ai_use"]["content_usage_from"] == "robots.txt /set/2"
    assert two["ai_use"]["train_ai"] is True
    assert three["ai_use"]["content_signal"] == "ai-train=no"  # its header
    assert three["ai_use"]["train_ai"] is False
    assert json.loads(pages[f"{base}set/1"])["train_ai"] is False
    # the API and the set page show them
    import httpx

    from crawler.serve import create_app
    from tests.serve.conftest import Served

    with Served(create_app(db)) as url, httpx.Client(base_url=url) as client:
        api = client.get(f"/api/v1/sets/{sets[f'{base}set/1']}").json()
        assert api["ai_use"]["train_ai"] is False
        html = client.get(f"/sets/{sets[f'{base}set/1']}").text
        assert "reserved from AI training by its site" in html
        assert "Content-Usage: <code>train-ai=n</code> (robots.txt /set/)" in html
        assert "AI training allowed" in client.get(f"/sets/{sets[f'{base}set/2']}").text
    out = tmp_path / "allowed.jsonl"
    run_cli("export", "--database", db, "-o", str(out), "--respect-ai-use").check()
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert [s["url"] for s in exported] == [f"{base}set/2"]
    assert exported[0]["ai_use"]["train_ai"] is True
    run_cli("export", "--database", db, "-o", str(out)).check()
    assert len(out.read_text().splitlines()) == 3
