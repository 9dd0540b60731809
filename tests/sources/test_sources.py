"""`crawler sources` and `crawler policy URL`: the sources that say yes, with their rules,
quotas (what is left today, from the store) and keys; and the terms fields they come from."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from crawler.politeness.quota import StoreQuotaCounter, utc_day
from crawler.politeness.terms import TermsError, TermsRegistry, parse_terms
from tests.conftest import run_cli


def test_the_shipped_sources_that_say_yes() -> None:
    found = {e.domain: e for e in TermsRegistry.load() if e.crawl == "allowed" and e.spiders}
    assert set(found) == {"musicbrainz.org", "api.kexp.org", "api.setlist.fm", "mixesdb.com"}
    setlistfm = found["api.setlist.fm"]
    assert (setlistfm.daily_limit, setlistfm.min_delay) == (1440, 0.5)
    assert setlistfm.key_setting == "SETLISTFM_API_KEY" and setlistfm.quota_paths == ("/rest/",)
    assert setlistfm.counts("/rest/1.0/setlist/x") and not setlistfm.counts("/robots.txt")
    assert found["api.kexp.org"].daily_limit is None


def test_crawler_sources_lists_them_with_what_is_left_today(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/store.db"
    counter = StoreQuotaCounter(db)
    for _ in range(3):
        asyncio.run(counter.take("api.setlist.fm", utc_day(), 1440))
    result = run_cli("sources", "-s", f"DATABASE_URL={db}", "-s", "SETLISTFM_API_KEY=abc")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "4 sources say yes to programs" in out
    block = out.split("api.setlist.fm: scrapy crawl setlistfm")[1].split("\n\n")[0]
    assert "quota:    1,440 requests a day (UTC) (counting /rest/); 1,437 left today" in block
    assert "key:      needs an API key in SETLISTFM_API_KEY (set)" in block
    assert "abc" not in out
    assert "access:   https://www.setlist.fm/help/api-terms" in block
    assert "rate:     0.5 s between requests (2 a second), never faster" in block
    assert "api.kexp.org: scrapy crawl kexp" in out and "mixesdb.com: scrapy crawl mixesdb" in out
    assert "1001tracklists" not in out  # exports-only: it does not say yes


def test_crawler_policy_shows_the_same_for_one_url(tmp_path: Path) -> None:
    result = run_cli("policy", "--no-fetch", "-s", f"DATABASE_URL=sqlite:///{tmp_path}/x.db",
                     "https://api.setlist.fm/rest/1.0/setlist/63de4613")  # fmt: skip
    assert "Source:       says yes to programs: scrapy crawl setlistfm" in result.stdout
    assert "quota:    1,440 requests a day (UTC) (counting /rest/); 1,440 left today" in (
        result.stdout
    )
    assert not (tmp_path / "x.db").exists()  # asking does not create a store


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("daily_limit = -1", "daily_limit must be a whole number"),
        ('daily_limit = "many"', "daily_limit must be a whole number"),
        ('quota_paths = ["/rest/"]', "quota_paths needs a daily_limit"),
        ('daily_limit = 5\nquota_paths = ["rest"]', "quota_paths must be a list of paths"),
        ('spiders = "kexp"', "spiders must be a list"),
    ],
)
def test_bad_quota_fields_are_refused(body: str, message: str) -> None:
    with pytest.raises(TermsError, match=message):
        parse_terms(f'[[site]]\ndomain = "example.org"\n{body}\n', "terms.toml")


def test_without_a_count_no_request_leaves() -> None:
    from crawler.politeness.quota import DailyQuotas

    class Away:
        async def used(self, domain: str, day: str) -> int:
            raise OSError("database is away")

        async def take(self, domain: str, day: str, limit: int) -> int | None:
            raise OSError("database is away")

    terms = TermsRegistry(parse_terms('[[site]]\ndomain = "a.example"\ndaily_limit = 3\n', "t"))
    quotas = DailyQuotas(terms, Away(), None)
    refusal = asyncio.run(quotas.admit("api.a.example", "/x"))
    assert refusal == "the daily count of a.example could not be kept (database is away)"
    assert asyncio.run(quotas.admit("other.example", "/x")) is None  # no limit: not counted
