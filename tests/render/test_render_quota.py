"""A site with a daily limit counts the browser's requests too: its terms say so for every
request the crawler makes, and a rendered page's stylesheet and API calls are requests."""

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
