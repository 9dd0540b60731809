"""A page is kept open after its render, on its document, for the next render: what its
scripts ask once its render is over is refused and never reaches the site.

One host's pages (rendered, one page kept at a time, so the second render reuses the
first's page) start polling ``/api/poll.json`` every 25 ms, 300 ms after their data came:
after their render settled. A second host's slow page (not rendered) keeps the crawl open
for 3 s, so the last rendered page sits kept, polling, the while.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from crawler.devserver import LoggedRequest, Reply
from tests.conftest import run_scrapy
from tests.render.conftest import need_chromium, stats
from tests.render.jsite import js_site

pytestmark = pytest.mark.browser

POLL = """<script>
setTimeout(() => setInterval(() => fetch("/api/poll.json").catch(() => null), 25), 300);
</script></body>"""


def _slow(request: LoggedRequest) -> Reply:
    time.sleep(3.0)
    return Reply(body="<html><body>slow</body></html>")


def test_a_kept_pages_scripts_never_reach_the_site(tmp_path: Path) -> None:
    need_chromium()
    (tmp_path / "terms.toml").write_text('[[site]]\ndomain = "127.0.0.2"\nrender_js = true\n')
    polling = js_site("127.0.0.2", pages=2)
    for n in range(2):
        page = polling.routes[f"/sets/{n}"]
        assert isinstance(page, Reply) and isinstance(page.body, str)
        page.body = page.body.replace("</body>", POLL)
    slow = js_site("127.0.0.3")
    slow.routes["/sets/0"] = _slow
    with polling, slow:
        result = run_scrapy(
            "crawl", "sets",
            "-a", f"start_urls={polling.url('/sets/0')},{slow.url('/sets/0')}",
            "-a", "max_depth=1", "-s", "ALLOW_PRIVATE_HOSTS=True",
            "-s", f"SITE_POLICY_FILE={tmp_path / 'terms.toml'}",
            "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'crawler.db'}",
            "-s", "RENDER_MAX_PAGES=1", "-s", "RENDER_TIMEOUT=10",
        ).check()  # fmt: skip
        paths = [r.path for r in polling.requests()]
    counts = stats(result.stderr)
    assert counts["render/pages"] == 2, counts
    assert "/api/poll.json" not in paths, paths
    assert counts["render/subrequests/aborted/parked"] >= 5, counts
    assert "reached no gate" not in result.stderr
    assert counts.get("render/subrequests/aborted/unrouted", 0) == 0, counts
