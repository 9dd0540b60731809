"""A rendered page's stylesheet and API calls are requests to the site like any other: they
count against its daily quota, and the next run keeps the host's gap after the last one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_scrapy
from tests.render.conftest import need_chromium, stats
from tests.render.jsite import js_site

pytestmark = pytest.mark.browser

TERMS = """
[[site]]
domain = "127.0.0.2"
render_js = true
daily_limit = 3
"""


def test_subrequests_count_against_the_daily_quota(tmp_path: Path) -> None:
    need_chromium()
    (tmp_path / "terms.toml").write_text(TERMS)
    with js_site("127.0.0.2") as site:
        result = run_scrapy(
            "crawl", "sets", "-a", f"start_urls={site.url('/sets/0')}", "-a", "max_depth=0",
            "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", f"SITE_POLICY_FILE={tmp_path / 'terms.toml'}",
            "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'crawler.db'}", "-s", "RENDER_TIMEOUT=5",
        )  # fmt: skip
        paths = [r.path for r in site.requests()]
    # robots.txt, the page, then one of its two sub-requests: the third of the day
    assert paths[:2] == ["/robots.txt", "/sets/0"], paths
    assert len(paths) == 3 and paths[2] in ("/static/site.css", "/api/set-0.json"), paths
    assert stats(result.stderr)["render/subrequests/aborted/daily_quota"] >= 1
    assert "allows 3 requests a day and today's are used" in result.stderr


@pytest.mark.slow
def test_the_next_run_keeps_the_gap_after_the_last_subrequest(tmp_path: Path) -> None:
    """The store keeps each host's last request for the next run (HostMemory): a rendered
    page's last sub-request is the host's last request of the run, so a run started right
    after must keep the host's gap after it, not after the page's plain fetch. The gap
    here is the terms' ``min_delay`` (4 s), which the next run knows before it reads
    robots.txt."""
    need_chromium()
    (tmp_path / "terms.toml").write_text(
        '[[site]]\ndomain = "127.0.0.2"\nrender_js = true\nmin_delay = 4\n'
    )
    common = (
        "-a", "max_depth=0", "-s", "ALLOW_PRIVATE_HOSTS=True",
        "-s", f"SITE_POLICY_FILE={tmp_path / 'terms.toml'}",
        "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'crawler.db'}",
        # no tdmrep.json, read once the rendered page's sets arrive: the last request of the
        # first run is then the render's last sub-request
        "-s", "TDMREP_FETCH_WELLKNOWN=False",
    )  # fmt: skip
    with js_site("127.0.0.2", pages=2) as site:
        run_scrapy("crawl", "sets", "-a", f"start_urls={site.url('/sets/0')}", *common).check()
        first_run = site.requests()
        run_scrapy(
            "crawl", "sets", "-a", f"start_urls={site.url('/sets/1')}", *common,
            "-s", "RENDER_ENABLED=False",
        ).check()  # fmt: skip
        both = site.requests()
    last, next_first = both[len(first_run) - 1], both[len(first_run)]
    assert last.path.startswith(("/api/", "/static/")), last.path  # a sub-request
    assert next_first.time - last.time >= 4.0 - 0.05, (last.path, next_first.path)
