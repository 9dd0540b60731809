"""Daily quotas and the per-host gap outlive the run: two runs of `scrapy crawl setlistfm`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from crawler.store.models import HostLastRequest, HostQuotaDay
from tests.setlistfm.server import PHISH, UNKNOWN_SONG, SetlistFmSite
from tests.setlistfm.test_spider import HOST, crawl

QUOTA = "daily_limit = 5\n"


@pytest.fixture
def api() -> Iterator[SetlistFmSite]:
    with SetlistFmSite(HOST, per_page=5, busy=(f"/rest/1.0/artist/{PHISH}/setlists",)) as site:
        yield site


def test_a_quota_of_5_stops_the_first_run_at_5_and_the_second_at_0_more(
    api: SetlistFmSite, tmp_path: Path
) -> None:
    first = crawl(api, tmp_path, "-a", f"artist={PHISH}", extra=QUOTA)
    assert first.returncode == 3  # partial: the quota ran out
    assert len(api.requests()) == 5  # robots.txt and tdmrep.json count too
    assert f"{HOST}: 5 of 5 requests left today" in first.stderr
    assert f"{HOST} allows 5 requests a day and today's are used" in first.stderr
    assert "'crawl/outcome': 'partial'" in first.stderr
    stored = len(json.loads((tmp_path / "sets.json").read_text()))
    assert stored == 10  # p=1 (after its 429) and p=2 answered; p=3 and p=4 refused

    second = crawl(api, tmp_path, "-a", f"artist={PHISH}", extra=QUOTA)
    assert second.returncode == 3
    assert len(api.requests()) == 5  # not one more
    assert f"{HOST}: 0 of 5 requests left today" in second.stderr

    engine = create_engine(f"sqlite:///{tmp_path}/sfm.db")
    with engine.connect() as conn:
        (row,) = conn.execute(select(HostQuotaDay.domain, HostQuotaDay.used)).all()
    engine.dispose()
    assert tuple(row) == (HOST, 5)


def test_quota_paths_count_only_those_paths(api: SetlistFmSite, tmp_path: Path) -> None:
    extra = QUOTA + 'quota_paths = ["/rest/"]\n'
    crawl(api, tmp_path, "-a", f"artist={PHISH}", extra=extra)
    rest = [r for r in api.requests() if r.path.startswith("/rest/")]
    assert len(rest) == 5 and len(api.requests()) == 7  # robots.txt, tdmrep.json not counted


def test_a_run_started_right_after_another_keeps_the_host_s_gap(
    api: SetlistFmSite, tmp_path: Path
) -> None:
    crawl(api, tmp_path, "-a", f"setlist={UNKNOWN_SONG}", gap=3.0).check()
    last = api.requests()[-1].time
    crawl(api, tmp_path, "-a", f"setlist={UNKNOWN_SONG}", gap=3.0).check()
    first_of_second = next(r for r in api.requests() if r.time > last)
    assert first_of_second.time - last >= 3.0 - 0.01
    engine = create_engine(f"sqlite:///{tmp_path}/sfm.db")
    with engine.connect() as conn:
        assert conn.execute(select(HostLastRequest.host)).scalars().all() == [HOST]
    engine.dispose()
