"""The musicbrainz.org terms entry: its pace, and the documented permission for /ws/2/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.politeness.robots_rules import parse_robots
from crawler.politeness.terms import TermsError, TermsRegistry, parse_terms
from tests.conftest import run_cli
from tests.musicbrainz.server import MB, MusicBrainzSite, terms_file

ROBOTS = parse_robots((MB / "robots.txt").read_bytes())


def test_musicbrainz_org_robots_txt_keeps_crawlers_off_the_web_service() -> None:
    # the real file: /ws is disallowed for everyone, pages like /release/ are not
    assert not ROBOTS.allowed("https://musicbrainz.org/ws/2/release/x?fmt=json", "Bot")
    assert ROBOTS.allowed("https://musicbrainz.org/release/x", "Bot")
    assert not ROBOTS.allowed("https://musicbrainz.org/search?query=x", "Bot")


def test_the_shipped_entry_permits_the_api_paths_only() -> None:
    entry = TermsRegistry.load().lookup("musicbrainz.org")
    assert entry is not None and entry.crawl == "allowed" and entry.min_delay == 1.0
    assert entry.terms_url == "https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting"
    assert entry.api_permission("/ws/2/release/x") == "https://musicbrainz.org/doc/MusicBrainz_API"
    assert entry.api_permission("/ws/1/release/x") is None
    assert entry.api_permission("/search") is None
    assert entry.api_permission("/ws/2") is None  # the prefix is "/ws/2/"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ('api_paths = ["/ws/2/"]', "go together"),
        ('api_terms_url = "https://x.org/doc"', "go together"),
        ('api_paths = ["ws/2"]\napi_terms_url = "https://x.org/doc"', "list of paths"),
        ('api_paths = "/ws/2/"\napi_terms_url = "https://x.org/doc"', "list of paths"),
    ],
)
def test_a_permission_names_its_paths_and_its_documentation(fields: str, message: str) -> None:
    with pytest.raises(TermsError, match=message):
        parse_terms(f'[[site]]\ndomain = "x.org"\n{fields}\n', "user.toml")


@pytest.fixture
def service() -> Iterator[MusicBrainzSite]:
    with MusicBrainzSite("127.0.0.7") as site:
        yield site


def test_crawler_policy_shows_the_permission(service: MusicBrainzSite, tmp_path: Path) -> None:
    terms = terms_file(tmp_path, "127.0.0.7")
    common = ("-s", "ALLOW_PRIVATE_HOSTS=True", "-s", f"SITE_POLICY_FILE={terms}")
    api = run_cli("policy", service.url("/ws/2/release/x"), *common).check().stdout
    assert "robots.txt:   DISALLOWED" in api
    assert "but ALLOWED for programs by the site's documented permission" in api
    assert "https://musicbrainz.org/doc/MusicBrainz_API" in api
    assert "Pace:         1 s between requests" in api
    refused = run_cli("policy", service.url("/search?query=x"), *common)
    assert refused.returncode == 4, "a page robots.txt disallows: the crawl would not fetch it"
    page = refused.stdout
    assert "DISALLOWED" in page and "ALLOWED for programs" not in page
